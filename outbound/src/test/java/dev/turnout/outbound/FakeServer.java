package dev.turnout.outbound;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;

/**
 * A one-connection TCP server on 127.0.0.1 that runs a scripted conversation on a thread. Test
 * helper shared by the handshake tests.
 */
public final class FakeServer implements AutoCloseable {
  @FunctionalInterface
  public interface Script {
    void run(InputStream in, OutputStream out) throws IOException;
  }

  private final ServerSocket socket;
  public final CompletableFuture<Void> done = new CompletableFuture<>();

  public FakeServer(Script script) throws IOException {
    socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    Thread t =
        new Thread(
            () -> {
              try (Socket s = socket.accept()) {
                script.run(s.getInputStream(), s.getOutputStream());
                s.getOutputStream().flush();
                if (!s.isClosed()) {
                  s.shutdownOutput();
                }
                done.complete(null);
                // Keep the connection until the client is finished.
                s.getInputStream().read();
              } catch (Throwable e) {
                done.completeExceptionally(e);
              }
            },
            "fake-server");
    t.setDaemon(true);
    t.start();
  }

  public int port() {
    return socket.getLocalPort();
  }

  public static byte[] readN(InputStream in, int n) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length != n) {
      throw new IOException("short read");
    }
    return b;
  }

  public static String readHeaders(InputStream in) throws IOException {
    StringBuilder s = new StringBuilder();
    while (!s.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("eof");
      }
      s.append((char) c);
    }
    return s.toString();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
