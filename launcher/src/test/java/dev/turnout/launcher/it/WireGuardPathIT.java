package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Daemon;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import dev.turnout.testing.UdpEcho;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * With auto-route (the sandbox's routed network reachable only through the default route, so
 * captured), a rule sends routed.example.test and bulk.example.test through a {@code type:
 * wireguard} proxy whose peer is wireguard-go in the internet namespace: Turnout (TUN path,
 * auto-route) carries the client's download and datagrams through its userspace WireGuard tunnel,
 * and the peer's {@code wg show transfer} counts the bytes. Shows that the tunnel's own sockets
 * (bound to its device, marked) escape Turnout's capture and reach any address on-link through the
 * device.
 */
class WireGuardPathIT {
  private static final Duration T = Duration.ofSeconds(60);
  private static final String OWN_TUNNEL = "198.51.100.202";
  private static Sandbox sandbox;
  private static Daemon peer;
  private static TurnoutProcess turnout;

  @BeforeAll
  static void start() throws Exception {
    sandbox = Sandbox.create();
    sandbox.startServer("routed"); // 198.51.100.0/24 only through the default route: captured
    String peerKey = Command.check("wg", "genkey").trim();
    String ownKey = Command.check("wg", "genkey").trim();
    Files.writeString(sandbox.file("wg-peer.key"), peerKey + "\n");
    peer =
        Daemon.startIn(
            sandbox.internet, sandbox.file("wireguard-go.log"), "wireguard-go", "-f", "wgt0");
    for (int i = 0; i < 100 && !inInternet("ip", "link", "show", "wgt0"); i++) {
      Thread.sleep(100);
    }
    assertThat(
            inInternet(
                "wg",
                "set",
                "wgt0",
                "listen-port",
                "51820",
                "private-key",
                sandbox.file("wg-peer.key").toString(),
                "peer",
                pub(ownKey),
                "allowed-ips",
                OWN_TUNNEL + "/32"))
        .isTrue();
    assertThat(inInternet("ip", "link", "set", "wgt0", "up")).isTrue();
    assertThat(inInternet("ip", "route", "add", OWN_TUNNEL + "/32", "dev", "wgt0")).isTrue();
    turnout =
        sandbox.startTurnout(
            AutoRouteCaptureIT.config(
                sandbox,
                "  - {name: wg, type: wireguard, server: 203.0.113.1, port: 51820, ip: "
                    + OWN_TUNNEL
                    + ", private-key: '"
                    + ownKey
                    + "', public-key: '"
                    + pub(peerKey)
                    + "', udp: true}",
                "  - DOMAIN-SUFFIX,routed.example.test,wg\n"
                    + "  - DOMAIN-SUFFIX,bulk.example.test,wg\n"
                    + "  - MATCH,DIRECT"));
  }

  private static boolean inInternet(String... command) throws Exception {
    return sandbox.inInternet(T, command).exit() == 0;
  }

  private static String pub(String key) throws Exception {
    Command.Result r = Command.run(T, "sh", "-c", "echo '" + key + "' | wg pubkey");
    assertThat(r.exit()).as("%s", r).isZero();
    return r.stdout().trim();
  }

  @AfterAll
  static void stop() throws Exception {
    if (peer != null) {
      peer.kill();
    }
    if (sandbox != null) {
      sandbox.close();
    }
  }

  /** The peer's counters: bytes received from Turnout, bytes sent to it. */
  private static long[] transfer() throws Exception {
    Command.Result r = sandbox.inInternet(T, "wg", "show", "wgt0", "transfer");
    assertThat(r.exit()).as("%s", r).isZero();
    String[] f = r.stdout().trim().split("\\s+");
    return new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])};
  }

  @Test
  void theDownloadGoesThroughTheWireGuardPeerIntact() throws Exception {
    long[] before = transfer();
    sandbox.assertDownloadIntact("http://routed.example.test/10m.bin", "10m.bin");
    long[] after = transfer();
    assertThat(after[1] - before[1]).as("bytes the peer sent").isGreaterThan(10L << 20);
    turnout.awaitLog("routed.example.test:80", Duration.ofSeconds(5));
    assertThat(turnout.log())
        .containsPattern("routed\\.example\\.test:80 .*via wg")
        .contains("handshake with the peer completed");
    Command.Result direct =
        sandbox.inClient(T, "curl", "-sS", "--fail", "http://www.example.test/index.html");
    assertThat(direct.stdout()).isEqualTo("ok\n");
  }

  @Test
  void thousandDatagramsGoThroughTheWireGuardPeer() throws Exception {
    Process echo = UdpEcho.startServer(sandbox);
    try {
      long[] before = transfer();
      Command.Result result =
          sandbox.inClient(T, "python3", "-c", UdpEcho.client("bulk.example.test"));
      assertThat(result.exit()).as("%s", result).isZero();
      assertThat(result.stdout()).contains("echoed 1000 bad 0");
      long[] after = transfer();
      assertThat(after[0] - before[0]).as("bytes the peer received").isGreaterThan(1000 * 32);
      assertThat(after[1] - before[1]).as("bytes the peer sent").isGreaterThan(1000 * 32);
    } finally {
      echo.destroyForcibly().waitFor();
    }
  }
}
