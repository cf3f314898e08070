package dev.turnout.inbound.listen;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;

/**
 * Real servers on loopback for the listener tests: a TCP echo, a UDP echo, and HTTP servers that
 * answer {@code NAME PATH}. Closed together.
 */
final class LocalServers implements AutoCloseable {
  static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  final ServerSocket echo;
  final DatagramSocket udpEcho;
  private final List<HttpServer> http = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();

  LocalServers() throws IOException {
    echo = new ServerSocket(0, 50, LOOPBACK);
    udpEcho = new DatagramSocket(0, LOOPBACK);
    start("tcp-echo", this::serveEcho);
    start("udp-echo", this::serveUdpEcho);
  }

  /** An HTTP server whose answers name it; its port. */
  int http(String name) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 50);
    server.createContext(
        "/",
        exchange -> {
          byte[] body =
              (name
                      + " "
                      + exchange.getRequestURI()
                      + " "
                      + exchange.getRequestHeaders().getFirst("Host"))
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getRequestBody().readAllBytes();
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.setExecutor(Executors.newFixedThreadPool(2, r -> daemon(r, "http-" + name)));
    server.start();
    http.add(server);
    return server.getAddress().getPort();
  }

  private void start(String name, Runnable body) {
    Thread thread = daemon(body, name);
    threads.add(thread);
    thread.start();
  }

  private static Thread daemon(Runnable body, String name) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    return thread;
  }

  private void serveEcho() {
    while (!echo.isClosed()) {
      try {
        Socket s = echo.accept();
        daemon(() -> echoOne(s), "echo-conn").start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void echoOne(Socket s) {
    try (s;
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream()) {
      byte[] buf = new byte[65536];
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
      }
    } catch (IOException ignored) {
      // the client went away
    }
  }

  private void serveUdpEcho() {
    byte[] buf = new byte[65536];
    while (!udpEcho.isClosed()) {
      try {
        DatagramPacket packet = new DatagramPacket(buf, buf.length);
        udpEcho.receive(packet);
        udpEcho.send(new DatagramPacket(buf, packet.getLength(), packet.getSocketAddress()));
      } catch (IOException e) {
        return;
      }
    }
  }

  @Override
  public void close() throws IOException {
    echo.close();
    udpEcho.close();
    http.forEach(s -> s.stop(0));
  }
}
