package dev.turnout.fakedns;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.turnout.testing.SelfSigned;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS terminators in front of a plain DNS server (like stunnel in front of dnsmasq): DNS over TLS
 * and DNS over HTTPS on 127.0.0.1, with a throwaway certificate for IP 127.0.0.1 made by keytool.
 */
final class TlsFronts {
  private static final char[] PASSWORD = "changeit".toCharArray();

  private TlsFronts() {}

  /** Server and client contexts for a fresh self-signed certificate valid for 127.0.0.1. */
  record Contexts(SSLContext server, SSLContext client) {}

  static Contexts contexts(Path dir) throws Exception {
    Path store = dir.resolve("server.p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "dns",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=turnout test",
                "-ext",
                "san=ip:127.0.0.1",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                store.toString(),
                "-storepass",
                "changeit",
                "-keypass",
                "changeit")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
      throw new IOException("keytool failed");
    }
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keys.load(in, PASSWORD);
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, PASSWORD);
    SSLContext server = SSLContext.getInstance("TLS");
    server.init(kmf.getKeyManagers(), null, null);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("dns", keys.getCertificate("dns"));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext client = SSLContext.getInstance("TLS");
    client.init(null, tmf.getTrustManagers(), null);
    return new Contexts(server, client);
  }

  /**
   * A PEM certificate and key made by openssl (for servers like dnsdist) and a client trusting it.
   */
  record Pem(Path cert, Path key, SSLContext client) {}

  /**
   * A fresh self-signed certificate with {@code subjectAltName} (e.g. {@code
   * IP:127.0.0.1,DNS:doh.test}).
   */
  static Pem pem(Path dir, String subjectAltName) throws Exception {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    SelfSigned.write(dir, "turnout test", subjectAltName);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(cert)) {
      trust.setCertificateEntry(
          "server", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext client = SSLContext.getInstance("TLS");
    client.init(null, tmf.getTrustManagers(), null);
    return new Pem(cert, key, client);
  }

  /** Sends one framed query to the plain server over TCP and returns the answer. */
  static byte[] forward(int plainPort, byte[] query) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), plainPort)) {
      s.setSoTimeout(5000);
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      out.writeShort(query.length);
      out.write(query);
      out.flush();
      DataInputStream in = new DataInputStream(s.getInputStream());
      byte[] answer = new byte[in.readUnsignedShort()];
      in.readFully(answer);
      return answer;
    }
  }

  /** DNS over TLS: framed queries on kept-alive connections, forwarded one by one. */
  static final class Dot implements Closeable {
    private final SSLServerSocket server;
    private final List<Socket> connections = new ArrayList<>();
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicInteger queries = new AtomicInteger();

    Dot(SSLContext context, int plainPort) throws IOException {
      server =
          (SSLServerSocket)
              context
                  .getServerSocketFactory()
                  .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread t =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try {
                    Socket s = server.accept();
                    accepted.incrementAndGet();
                    synchronized (connections) {
                      connections.add(s);
                    }
                    Thread c = new Thread(() -> serve(s, plainPort), "dot-conn");
                    c.setDaemon(true);
                    c.start();
                  } catch (IOException e) {
                    // closed
                  }
                }
              },
              "dot-accept");
      t.setDaemon(true);
      t.start();
    }

    private void serve(Socket s, int plainPort) {
      try (s) {
        DataInputStream in = new DataInputStream(s.getInputStream());
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        while (true) {
          byte[] q = new byte[in.readUnsignedShort()];
          in.readFully(q);
          queries.incrementAndGet();
          byte[] a = forward(plainPort, q);
          out.writeShort(a.length);
          out.write(a);
          out.flush();
        }
      } catch (IOException e) {
        // done
      }
    }

    String spec() {
      return "tls://127.0.0.1:" + server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
      synchronized (connections) {
        for (Socket s : connections) {
          s.close();
        }
      }
    }
  }

  /** DNS over HTTPS: POST /dns-query with an application/dns-message body. */
  static final class Doh implements Closeable {
    private final HttpsServer server;
    final AtomicInteger queries = new AtomicInteger();

    Doh(SSLContext context, int plainPort) throws IOException {
      server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
      server.setHttpsConfigurator(new HttpsConfigurator(context));
      server.createContext(
          "/dns-query",
          exchange -> {
            try (exchange) {
              queries.incrementAndGet();
              byte[] q = exchange.getRequestBody().readAllBytes();
              if (!"POST".equals(exchange.getRequestMethod())
                  || !"application/dns-message"
                      .equals(exchange.getRequestHeaders().getFirst("Content-Type"))) {
                exchange.sendResponseHeaders(415, -1);
                return;
              }
              byte[] a = forward(plainPort, q);
              exchange.getResponseHeaders().add("Content-Type", "application/dns-message");
              exchange.sendResponseHeaders(200, a.length);
              exchange.getResponseBody().write(a);
            }
          });
      server.start();
    }

    String spec() {
      return "https://127.0.0.1:" + server.getAddress().getPort() + "/dns-query";
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
