package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.SelfSigned;
import dev.turnout.testing.TurnoutProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code sniffer:} end to end. With auto-route, an app that dials a literal address (a browser
 * resolving over HTTPS, an address written in an app) reaches Turnout with no name behind it; the
 * relay reads the name from the connection's first bytes, and the rules, the log and the dial use
 * it. Real clients (curl with SNI through {@code --resolve}, and with a Host header; Chromium over
 * QUIC), real servers (nginx on port 80, openssl s_server on 8443, dante), all at literal addresses
 * of the routed network.
 */
class SnifferIT {
  private static final Duration T = Duration.ofSeconds(30);
  private static final String SERVER = "198.51.100.10";
  private static final int CONTROLLER = 9090;
  private static final String SECRET = "sniffer";

  private static Sandbox sandbox;
  private static TurnoutProcess turnout;

  @BeforeAll
  static void start() throws Exception {
    sandbox = Sandbox.create();
    sandbox.startServer("routed");
    sandbox.startServer("socks-routed");
    Path tls = Files.createDirectories(sandbox.file("tls"));
    SelfSigned.write(tls, "sniffed.example.test", null);
    sandbox.inInternetBackground(
        "s_server",
        "openssl",
        "s_server",
        "-accept",
        SERVER + ":8443",
        "-cert",
        tls.resolve("cert.pem").toString(),
        "-key",
        tls.resolve("key.pem").toString(),
        "-www",
        "-quiet");
    turnout =
        sandbox.startTurnout(
            AutoRouteCaptureIT.config(
                    sandbox,
                    "  - {name: dante, type: socks5, server: 198.51.100.1, port: 1080}",
                    String.join(
                        "\n",
                        "  - DOMAIN-SUFFIX,blocked.example.test,REJECT",
                        "  - DOMAIN,www.example.test,dante",
                        "  - DOMAIN,sniffed.example.test,DIRECT",
                        "  - IP-CIDR,198.51.100.0/24,DIRECT",
                        "  - MATCH,DIRECT"))
                + String.join(
                    "\n",
                    "sniffer:",
                    "  enable: true",
                    "  sniff:",
                    "    HTTP: {ports: [80, 8080-8880]}",
                    "    TLS: {ports: [443, 8443], override-destination: false}",
                    "    QUIC: {ports: [443]}",
                    "  skip-domain: [skipped.example.test]",
                    "external-controller: 127.0.0.1:" + CONTROLLER,
                    "secret: " + SECRET,
                    ""));
    turnout.awaitLog("relay: listening", T);
    for (int i = 0; i < 50; i++) { // s_server takes a moment to listen
      if (sandbox
              .inClient(T, "curl", "-sk", "-o", "/dev/null", "https://" + SERVER + ":8443/")
              .exit()
          == 0) {
        break;
      }
      Thread.sleep(100);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @Test
  void anHttpRequestsHostNameDecidesAndIsDialedThroughTheProxy() throws Exception {
    // www.example.test's rule sends it through dante, which is given the name (override), so the
    // request reaches nginx at the name's own address.
    Command.Result sniffed =
        curl("-H", "Host: www.example.test", "http://" + SERVER + "/index.html");
    assertThat(sniffed.stdout()).as("%s", sniffed).isEqualTo("ok\n");
    turnout.awaitLog("-> www.example.test:80 ", T);
    assertThat(turnout.log())
        .containsPattern(
            "-> www\\.example\\.test:80 \\(198\\.51\\.100\\.10\\) rule DOMAIN,www.*via dante");

    Command.Result blocked =
        curl("-H", "Host: ads.blocked.example.test", "http://" + SERVER + "/index.html");
    assertThat(blocked.exit()).as("%s", blocked).isNotZero();

    // A name skip-domain lists, and a Host that is an address, leave the address's own rule.
    for (String host : new String[] {"skipped.example.test", SERVER}) {
      Command.Result plain = curl("-H", "Host: " + host, "http://" + SERVER + "/index.html");
      assertThat(plain.stdout()).as("%s", plain).isEqualTo("ok\n");
    }
    turnout.awaitLog("-> ads.blocked.example.test:80", T);
    assertThat(turnout.log())
        .contains("-> ads.blocked.example.test:80 (198.51.100.10) rule DOMAIN-SUFFIX")
        .doesNotContain("-> skipped.example.test")
        .containsPattern("-> 198\\.51\\.100\\.10:80 .*rule IP-CIDR,198\\.51\\.100\\.0/24");
  }

  /** The controller lists a sniffed connection as mihomo does: its sniffHost, DNS mode normal. */
  @Test
  void theControllerShowsTheSniffedName() throws Exception {
    // A keep-alive request, dialed by the sniffed name (DIRECT resolves it), then held open.
    sandbox.inClientBackground(
        "held",
        "python3",
        "-c",
        String.join(
            "\n",
            "import socket, time",
            "s = socket.create_connection(('" + SERVER + "', 80), timeout=5)",
            "s.sendall(b'GET / HTTP/1.1\\r\\nHost: routed.example.test\\r\\n\\r\\n')",
            "time.sleep(8)"));
    try (ControllerClient api = ControllerClient.of(sandbox, CONTROLLER, SECRET)) {
      @SuppressWarnings("unchecked")
      Map<String, Object> found =
          (Map<String, Object>)
              api.awaitConnection(
                      c ->
                          "routed.example.test"
                              .equals(((Map<?, ?>) c.get("metadata")).get("sniffHost")),
                      Duration.ofSeconds(5))
                  .get("metadata");
      assertThat(found)
          .containsEntry("host", "routed.example.test")
          .containsEntry("destinationIP", SERVER)
          .containsEntry("dnsMode", "normal");
    }
  }

  @Test
  void aTlsClientHellosServerNameDecidesWhileTheAddressIsDialed() throws Exception {
    // override-destination: false for TLS: the rules see the name, the dial keeps the address
    // (the name's own DNS answer would be another server).
    Command.Result sniffed =
        curl(
            "-k",
            "--resolve",
            "sniffed.example.test:8443:" + SERVER,
            "https://sniffed.example.test:8443/");
    assertThat(sniffed.exit()).as("%s", sniffed).isZero();
    assertThat(sniffed.stdout()).contains("s_server");
    Command.Result blocked =
        curl(
            "-k",
            "--resolve",
            "blocked.example.test:443:" + SERVER,
            "https://blocked.example.test/");
    assertThat(blocked.exit()).as("%s", blocked).isNotZero();
    turnout.awaitLog("-> blocked.example.test:443", T);
    assertThat(turnout.log())
        .containsPattern(
            "-> sniffed\\.example\\.test:8443 \\(198\\.51\\.100\\.10\\) rule DOMAIN,sniffed.*via DIRECT")
        .containsPattern("-> blocked\\.example\\.test:443 .*via REJECT");
  }

  /**
   * A browser's HTTP/3: Chromium, made to speak QUIC to a name it maps to a literal address, sends
   * its Initial packets (its post-quantum ClientHello spans two datagrams); the relay decrypts
   * them, and the ClientHello's name decides the UDP flow. No QUIC server answers: the decision is
   * what is looked at.
   */
  @Test
  void aQuicInitialsServerNameDecidesTheUdpFlow() throws Exception {
    for (String name : new String[] {"quic.blocked.example.test", "sniffed.example.test"}) {
      Path profile = Files.createTempDirectory(sandbox.dir, "chromium-");
      sandbox.inClient(
          T,
          "timeout",
          "8",
          "chromium",
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--disable-extensions", // else it makes /usr/lib/chromium/extensions, and leaves it
          "--user-data-dir=" + profile,
          "--enable-quic",
          "--origin-to-force-quic-on=" + name + ":443",
          "--host-resolver-rules=MAP " + name + " " + SERVER,
          "--dump-dom",
          "https://" + name + "/");
    }
    turnout.awaitLog("-> sniffed.example.test:443 ", T);
    assertThat(turnout.log())
        .containsPattern(
            "udp .*-> quic\\.blocked\\.example\\.test:443 \\(198\\.51\\.100\\.10\\) .*via REJECT")
        .containsPattern(
            "udp .*-> sniffed\\.example\\.test:443 \\(198\\.51\\.100\\.10\\) rule DOMAIN,sniffed.*via DIRECT");
  }

  @Test
  void aServerThatSpeaksFirstIsRoutedByItsAddressAfterAShortWait() throws Exception {
    // This client sends nothing for a second, as any client of a protocol whose server speaks first
    // would: the relay stops waiting for a name and routes by the address, and bytes flow as usual.
    String script =
        String.join(
            "\n",
            "import socket, time",
            "s = socket.create_connection(('" + SERVER + "', 80), timeout=5)",
            "time.sleep(1)",
            "s.sendall(b'GET /index.html HTTP/1.0\\r\\n\\r\\n')",
            "reply = b''",
            "while True:",
            "    chunk = s.recv(4096)",
            "    if not chunk:",
            "        break",
            "    reply += chunk",
            "print(reply.split(b'\\r\\n\\r\\n', 1)[1].decode(), end='')");
    long start = System.nanoTime();
    Command.Result late = sandbox.inClient(T, "python3", "-c", script);
    assertThat(late.stdout()).as("%s", late).isEqualTo("ok\n");
    assertThat(System.nanoTime() - start).isLessThan(Duration.ofSeconds(5).toNanos());
  }

  private static Command.Result curl(String... arguments) throws Exception {
    String[] command = new String[arguments.length + 4];
    command[0] = "curl";
    command[1] = "-sS";
    command[2] = "--max-time";
    command[3] = "10";
    System.arraycopy(arguments, 0, command, 4, arguments.length);
    return sandbox.inClient(T, command);
  }
}
