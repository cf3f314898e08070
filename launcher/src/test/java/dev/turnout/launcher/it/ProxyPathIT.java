package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.SshServer;
import dev.turnout.testing.TurnoutProcess;
import dev.turnout.testing.UdpEcho;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rules choose an upstream proxy: names under bulk.example.test go through a select group whose
 * member is a real dante SOCKS5 server in the internet namespace, real.example.test through
 * Debian's OpenSSH server there; everything else goes DIRECT. The servers' own logs show which
 * connections passed through them.
 */
class ProxyPathIT {
  private static final Duration T = Duration.ofSeconds(60);
  private static Sandbox sandbox;
  private static TurnoutProcess turnout;
  private static SshServer sshd;

  @BeforeAll
  static void start() throws Exception {
    sandbox = Sandbox.create();
    sandbox.startServer("socks");
    sshd = SshServer.create(sandbox.file("ssh"));
    sandbox.inInternetBackground(
        "sshd", sshd.command("sshd", "203.0.113.1", 2222, "").toArray(String[]::new));
    Command.Result up =
        sandbox.inInternet(
            T,
            "bash",
            "-c",
            "for i in $(seq 1 100); do (exec 3<>/dev/tcp/203.0.113.1/2222) 2>/dev/null && exit 0;"
                + " sleep 0.1; done; exit 1");
    assertThat(up.exit()).as("sshd listens: %s", up).isZero();
    turnout =
        sandbox.startTurnout(
            Sandbox.config(
                    "",
                    "  - DOMAIN-SUFFIX,bulk.example.test,Proxy\n"
                        + "  - DOMAIN,real.example.test,ssh-out\n"
                        + "  - MATCH,DIRECT")
                + "state-dir: "
                + sandbox.file("state")
                + "\nproxies:\n"
                + "  - {name: dante, type: socks5, server: 203.0.113.1, port: 1080, udp: true}\n"
                + "  - {name: ssh-out, type: ssh, server: 203.0.113.1, port: 2222, username: "
                + SshServer.USER
                + ", password: "
                + SshServer.PASSWORD
                + "}\n"
                + "proxy-groups:\n"
                + "  - {name: Proxy, type: select, proxies: [dante, DIRECT]}\n");
  }

  @AfterAll
  static void stop() throws Exception {
    if (sandbox != null) {
      sandbox.close();
    }
    if (sshd != null) {
      sshd.close();
    }
  }

  @Test
  void thousandDatagramsGoThroughTheSocksServersUdpAssociateIntact() throws Exception {
    Process echo = UdpEcho.startServer(sandbox);
    try {
      Command.Result result =
          sandbox.inClient(T, "python3", "-c", UdpEcho.client("bulk.example.test"));
      assertThat(result.exit()).as("%s", result).isZero();
      assertThat(result.stdout()).contains("echoed 1000 bad 0");
      turnout.awaitLog("udp ", Duration.ofSeconds(5));
      assertThat(turnout.log()).containsPattern("udp .*-> bulk\\.example\\.test:7 .*via Proxy");
      assertThat(Files.readString(sandbox.file("danted.log"))).contains("udpassociate");
    } finally {
      echo.destroyForcibly().waitFor();
    }
  }

  @Test
  void aRuleSendsTheDownloadThroughTheSocksServerAndTheRestGoesDirect() throws Exception {
    sandbox.assertDownloadIntact("http://bulk.example.test/10m.bin", "10m.bin");

    Command.Result direct =
        sandbox.inClient(T, "curl", "-sS", "--fail", "http://www.example.test/index.html");
    assertThat(direct.stdout()).isEqualTo("ok\n");

    String dante = Files.readString(sandbox.file("danted.log"));
    // dante resolved the name itself (SOCKS5 with a domain name) and connected to nginx
    assertThat(dante).contains("203.0.113.10.80");
    long throughDante = dante.lines().filter(l -> l.contains("pass(1): tcp/connect")).count();
    turnout.awaitLog("www.example.test:80", Duration.ofSeconds(5));
    assertThat(turnout.log())
        .containsPattern(
            "bulk\\.example\\.test:80 .*rule DOMAIN-SUFFIX,bulk\\.example\\.test .*via Proxy")
        .containsPattern("www\\.example\\.test:80 .*rule MATCH .*via DIRECT");
    // the readiness probe of sandbox.sh, and the proxied download: not the direct request
    assertThat(throughDante).isEqualTo(2);
  }

  @Test
  void aRuleSendsTheDownloadThroughTheSshServer() throws Exception {
    sandbox.assertDownloadIntact("http://real.example.test/10m.bin", "10m.bin");
    turnout.awaitLog("real.example.test:80", Duration.ofSeconds(5));
    assertThat(turnout.log()).containsPattern("real\\.example\\.test:80 .*via ssh-out");
    String log = Files.readString(sandbox.file("ssh/sshd.log"));
    assertThat(log).contains("Accepted password for " + SshServer.USER);
    assertThat(log).contains("target real.example.test port 80");
  }
}
