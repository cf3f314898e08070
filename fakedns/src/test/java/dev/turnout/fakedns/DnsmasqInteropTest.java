package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/** Interop with a real resolver: dnsmasq on 127.0.0.1 with static records (skipped without it). */
class DnsmasqInteropTest {
  private static final Path DNSMASQ = Path.of("/usr/sbin/dnsmasq");
  private Process dnsmasq;
  private int port;

  @BeforeEach
  void start() throws Exception {
    assumeTrue(Files.isExecutable(DNSMASQ), "dnsmasq not installed");
    try (DatagramSocket s =
        new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      port = s.getLocalPort();
    }
    dnsmasq =
        new ProcessBuilder(
                DNSMASQ.toString(),
                "--no-daemon",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                "--port=" + port,
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--host-record=web.example.test,203.0.113.80",
                "--host-record=trap.example.test,198.18.7.7",
                "--txt-record=txt.example.test,hello")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    // wait until it answers
    Upstream probe = upstream("tcp://127.0.0.1:" + port);
    for (int i = 0; i < 50; i++) {
      try {
        probe.query(query("web.example.test.", Type.A)).get(1, TimeUnit.SECONDS);
        return;
      } catch (Exception e) {
        Thread.sleep(100); // process start-up, not a protocol timeout
      }
    }
    throw new AssertionError("dnsmasq did not come up");
  }

  @AfterEach
  void stop() throws Exception {
    if (dnsmasq != null) {
      dnsmasq.destroy();
      dnsmasq.waitFor(5, TimeUnit.SECONDS);
    }
  }

  private static Upstream upstream(String spec) {
    return Upstream.builder(List.of(spec))
        .timeout(Duration.ofSeconds(2))
        .forbiddenRange(0xC6120000, 0xC613FFFF)
        .build();
  }

  private static Message query(String n, int type) throws Exception {
    return Message.newQuery(Record.newRecord(Name.fromString(n), type, DClass.IN));
  }

  @Test
  void resolvesOverUdpAndTcp() throws Exception {
    for (String spec : List.of("127.0.0.1:" + port, "tcp://127.0.0.1:" + port)) {
      Upstream upstream = upstream(spec);
      assertThat(upstream.resolveIpv4("web.example.test").get(5, TimeUnit.SECONDS))
          .extracting(InetAddress::getHostAddress)
          .containsExactly("203.0.113.80");
      assertThat(upstream.resolveIpv4("trap.example.test")).failsWithin(Duration.ofSeconds(5));
      Message txt = upstream.query(query("txt.example.test.", Type.TXT)).get(5, TimeUnit.SECONDS);
      assertThat(txt.getRcode()).isEqualTo(Rcode.NOERROR);
      assertThat(txt.getSection(org.xbill.DNS.Section.ANSWER)).hasSize(1);
    }
  }
}
