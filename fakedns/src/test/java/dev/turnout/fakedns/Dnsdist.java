package dev.turnout.fakedns;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnout.testing.Daemon;
import java.io.Closeable;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real DNS-over-HTTPS server: dnsdist (h2o inside, HTTP/2 and HTTP/1.1 by ALPN) on 127.0.0.1 in
 * front of a plain server, with a PEM certificate from {@link TlsFronts#pem}. The test is skipped
 * where dnsdist is not installed. The constructor returns once dnsdist says it listens for DoH; a
 * port taken between choosing it and dnsdist binding it (the ports are free when chosen, not
 * reserved) costs a restart on fresh ports, not the test. Closing stops it.
 */
final class Dnsdist implements Closeable {
  private static final Path BINARY = Path.of("/usr/bin/dnsdist");
  private static final int ATTEMPTS = 3;

  final int port;
  private final Daemon daemon;

  Dnsdist(Path dir, TlsFronts.Pem pem, int backendPort) throws Exception {
    assumeTrue(Files.isExecutable(BINARY), "dnsdist not installed");
    for (int attempt = 1; ; attempt++) {
      int doh;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        doh = s.getLocalPort();
      }
      Path conf = dir.resolve("dnsdist.conf");
      Files.writeString(conf, config(pem, backendPort, doh));
      Daemon started =
          Daemon.start(
              dir.resolve("dnsdist-" + attempt + ".log"),
              Map.of(),
              List.of(
                  BINARY.toString(), "--supervised", "--disable-syslog", "-C", conf.toString()));
      try {
        started.awaitLog("Listening on 127.0.0.1:" + doh + " for DoH", Duration.ofSeconds(10));
      } catch (IllegalStateException e) {
        started.kill();
        if (attempt < ATTEMPTS && e.getMessage().contains("Address already in use")) {
          continue;
        }
        throw e;
      }
      port = doh;
      daemon = started;
      return;
    }
  }

  private static String config(TlsFronts.Pem pem, int backendPort, int doh) throws Exception {
    return String.join(
        "\n",
        "setSecurityPollSuffix('')", // no queries about its own version
        "setLocal('127.0.0.1:" + Dnsmasq.freePort() + "')",
        "newServer({address='127.0.0.1:" + backendPort + "', healthCheckMode='up'})",
        "addDOHLocal('127.0.0.1:"
            + doh
            + "', '"
            + pem.cert()
            + "', '"
            + pem.key()
            + "', '/dns-query')",
        "");
  }

  /** {@code https://127.0.0.1:PORT/dns-query}. */
  String spec() {
    return "https://127.0.0.1:" + port + "/dns-query";
  }

  @Override
  public void close() {
    Dnsmasq.stop(daemon.process());
  }
}
