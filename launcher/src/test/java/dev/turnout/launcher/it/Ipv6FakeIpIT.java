package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Daemon;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * IPv6 through the fake-IP path, in the sandbox: {@code dns.ipv6} answers AAAA from the fake IPv6
 * pool, and connections to those addresses cross the TUN and the NAT over IPv6 and reach nginx on
 * its IPv6 address DIRECT ({@code v6.example.test} has only an AAAA record, so only IPv6 gets
 * there) or through dante by rule; a dual-stack name works either way and with curl's Happy
 * Eyeballs; REJECT answers the first packet; UDP and pings work over IPv6 too. With {@code
 * dns.ipv6} off AAAA answers are empty. Every socket lives in the sandbox's namespaces.
 */
class Ipv6FakeIpIT {
  private static final Duration T = Duration.ofSeconds(60);

  private static String config(boolean aaaa) {
    return String.join(
        "\n",
        "log-level: info",
        "dns:",
        "  enable: true",
        "  ipv6: " + aaaa,
        "  nameserver: [203.0.113.1]",
        "tun:",
        "  enable: true",
        "  device: turnout0",
        "proxies:",
        "  - {name: dante, type: socks5, server: 203.0.113.1, port: 1080}",
        "rules:",
        "  - DOMAIN,bulk6.example.test,dante",
        "  - DOMAIN,reject6.example.test,REJECT",
        "  - MATCH,DIRECT",
        "");
  }

  private static Command.Result curl(Sandbox sandbox, String... arguments) throws Exception {
    String[] command = new String[arguments.length + 5];
    command[0] = "curl";
    command[1] = "-sS";
    command[2] = "--fail";
    command[3] = "--max-time";
    command[4] = "10";
    System.arraycopy(arguments, 0, command, 5, arguments.length);
    return sandbox.inClient(T, command);
  }

  @Test
  void aaaaAnswersAreFakeIpv6AddressesThatLeadToTheNameOverIpv6() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      sandbox.startServer("socks");
      TurnoutProcess turnout = sandbox.startTurnout(config(true));
      turnout.awaitLog("IPv6 address fdfe:dcba:9876::1/64", Duration.ofSeconds(5));
      assertThat(turnout.log()).contains("IPv6 address fdfe:dcba:9876::1/64");

      Command.Result aaaa = sandbox.inClient(T, "dig", "+short", "AAAA", "v6.example.test");
      assertThat(aaaa.stdout().trim()).as("%s", aaaa).startsWith("fdfe:dcba:9876::");
      Command.Result a = sandbox.inClient(T, "dig", "+short", "A", "v6.example.test");
      assertThat(a.stdout().trim()).as("%s", a).startsWith("198.18.");

      // DIRECT over IPv6: the name has no A record, so only an IPv6 dial reaches nginx.
      Command.Result v6 = curl(sandbox, "-6", "http://v6.example.test/index.html");
      assertThat(v6.exit()).as("%s\n%s", v6, turnout.log()).isZero();
      assertThat(v6.stdout()).isEqualTo("ok\n");
      turnout.awaitLog("-> v6.example.test:80", Duration.ofSeconds(5));
      assertThat(turnout.log())
          .containsPattern(
              "tcp \\[fdfe:dcba:9876::1\\]:\\d+ -> v6\\.example\\.test:80 \\(fdfe:dcba:9876::\\S+\\)"
                  + " rule MATCH .*via DIRECT");
      // ... and from the IPv4 fake address of the same name.
      assertThat(curl(sandbox, "-4", "http://v6.example.test/index.html").stdout())
          .isEqualTo("ok\n");

      // 10 MiB over IPv6: intact, and, with the kernel fast path, almost none of it on the TUN.
      long tunBytesBefore = sandbox.tunBytesToTurnout();
      Command.Result download =
          curl(
              sandbox,
              "-6",
              "-o",
              sandbox.file("v6-10m.bin").toString(),
              "http://v6.example.test/10m.bin");
      assertThat(download.exit()).as("%s", download).isZero();
      assertThat(Sandbox.sha256(sandbox.file("v6-10m.bin")))
          .isEqualTo(Sandbox.sha256(sandbox.file("www/10m.bin")));
      assertThat(sandbox.tunBytesToTurnout() - tunBytesBefore)
          .as("bytes through the TUN")
          .isLessThan(1L << 20);

      // A dual-stack name: either family, and curl's Happy Eyeballs.
      for (String[] family :
          new String[][] {{"-6"}, {"-4"}, {"--happy-eyeballs-timeout-ms", "200"}}) {
        String[] arguments = java.util.Arrays.copyOf(family, family.length + 1);
        arguments[family.length] = "http://dual.example.test/index.html";
        Command.Result dual = curl(sandbox, arguments);
        assertThat(dual.exit()).as("%s %s", family[0], dual).isZero();
      }

      // Through dante by rule: dante resolves the name and connects over IPv6.
      Command.Result proxied = curl(sandbox, "-6", "http://bulk6.example.test/index.html");
      assertThat(proxied.exit()).as("%s\n%s", proxied, turnout.log()).isZero();
      assertThat(Files.readString(sandbox.file("danted.log"))).contains("2001:db8:113::10.80");
      turnout.awaitLog("-> bulk6.example.test:80", Duration.ofSeconds(5));
      assertThat(turnout.log()).containsPattern("bulk6\\.example\\.test:80 .*via dante");

      // REJECT answers the SYN itself: refused at once.
      long start = System.nanoTime();
      Command.Result rejected = curl(sandbox, "-6", "http://reject6.example.test/");
      assertThat(rejected.exit()).as("%s", rejected).isEqualTo(7);
      assertThat(System.nanoTime() - start).isLessThan(Duration.ofSeconds(5).toNanos());
      // The log trails by up to one batch of its writer: wait for the line, then read it.
      turnout.awaitLog("reject6.example.test:80", Duration.ofSeconds(5));
      assertThat(turnout.log()).contains("reject6.example.test:80").contains("(first packet)");

      // UDP over IPv6 to an echo server on nginx's IPv6 address, and pings of a fake address.
      Daemon echo =
          Daemon.startIn(sandbox.internet, sandbox.file("echo6.log"), "python3", "-c", ECHO_SERVER);
      try {
        echo.awaitLog("ready", Duration.ofSeconds(20));
        Command.Result udp = sandbox.inClient(T, "python3", "-c", ECHO_CLIENT);
        assertThat(udp.stdout()).as("%s\n%s", udp, turnout.log()).contains("echoed hello");
      } finally {
        echo.kill();
      }
      Command.Result ping =
          sandbox.inClient(T, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", "v6.example.test");
      assertThat(ping.stdout()).as("%s", ping).contains("2 received");

      assertThat(turnout.terminate(Duration.ofSeconds(20))).isIn(0, 143);
    }
  }

  @Test
  void withoutDnsIpv6AaaaAnswersAreEmptyAndIpv4Carries() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      sandbox.startTurnout(config(false));
      Command.Result aaaa = sandbox.inClient(T, "dig", "AAAA", "dual.example.test");
      assertThat(aaaa.stdout()).contains("status: NOERROR").contains("ANSWER: 0");
      Command.Result dual = curl(sandbox, "http://dual.example.test/index.html");
      assertThat(dual.stdout()).as("%s", dual).isEqualTo("ok\n");
    }
  }

  /**
   * A host (or container) with IPv6 disabled for new devices: the TUN gets no IPv6 address, Turnout
   * says so and runs IPv4 only, and AAAA answers stay empty rather than pointing nowhere.
   */
  @Test
  void aHostWithoutIpv6RunsIpv4OnlyAndAnswersNoFakeAaaa() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      Command.Result off =
          sandbox.inClient(T, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1");
      assertThat(off.exit()).as("%s", off).isZero();
      TurnoutProcess turnout = sandbox.startTurnout(config(true));
      turnout.awaitLog("running without IPv6", Duration.ofSeconds(5));
      assertThat(turnout.log()).contains("running without IPv6");
      Command.Result aaaa = sandbox.inClient(T, "dig", "AAAA", "dual.example.test");
      assertThat(aaaa.stdout()).contains("status: NOERROR").contains("ANSWER: 0");
      Command.Result dual = curl(sandbox, "http://dual.example.test/index.html");
      assertThat(dual.stdout()).as("%s\n%s", dual, turnout.log()).isEqualTo("ok\n");
    }
  }

  /** An IPv6 UDP echo server, bound to nginx's address; prints ready once bound. */
  private static final String ECHO_SERVER =
      String.join(
          "\n",
          "import socket",
          "s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)",
          "s.bind(('2001:db8:113::10', 7))",
          "print('ready', flush=True)",
          "while True:",
          "    data, peer = s.recvfrom(65535)",
          "    s.sendto(data, peer)");

  /** One datagram to v6.example.test:7 over IPv6 (a fake address), its echo printed. */
  private static final String ECHO_CLIENT =
      String.join(
          "\n",
          "import socket",
          "addr = socket.getaddrinfo('v6.example.test', 7, socket.AF_INET6, socket.SOCK_DGRAM)",
          "s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)",
          "s.settimeout(2)",
          "s.connect(addr[0][4])",
          "for attempt in range(5):",
          "    s.send(b'hello')",
          "    try:",
          "        print('echoed', s.recv(100).decode())",
          "        break",
          "    except socket.timeout:",
          "        pass");
}
