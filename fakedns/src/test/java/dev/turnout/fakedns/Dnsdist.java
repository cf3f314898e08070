package dev.turnout.fakedns;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.Closeable;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real DNS-over-HTTPS server: dnsdist (h2o inside, HTTP/2 and HTTP/1.1 by ALPN) on 127.0.0.1 in
 * front of a plain server, with a PEM certificate from {@link TlsFronts#pem}. The test is skipped
 * where dnsdist is not installed. Closing stops it.
 */
final class Dnsdist implements Closeable {
  private static final Path BINARY = Path.of("/usr/bin/dnsdist");

  final int port;
  private final Process process;

  Dnsdist(Path dir, TlsFronts.Pem pem, int backendPort) throws Exception {
    assumeTrue(Files.isExecutable(BINARY), "dnsdist not installed");
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path conf = dir.resolve("dnsdist.conf");
    Files.writeString(
        conf,
        String.join(
            "\n",
            "setSecurityPollSuffix('')", // no queries about its own version
            "setLocal('127.0.0.1:" + Dnsmasq.freePort() + "')",
            "newServer({address='127.0.0.1:" + backendPort + "', healthCheckMode='up'})",
            "addDOHLocal('127.0.0.1:"
                + port
                + "', '"
                + pem.cert()
                + "', '"
                + pem.key()
                + "', '/dns-query')",
            ""));
    process =
        new ProcessBuilder(
                BINARY.toString(), "--supervised", "--disable-syslog", "-C", conf.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("dnsdist.log").toFile())
            .start();
  }

  /** {@code https://127.0.0.1:PORT/dns-query}. */
  String spec() {
    return "https://127.0.0.1:" + port + "/dns-query";
  }

  @Override
  public void close() {
    Dnsmasq.stop(process);
  }
}
