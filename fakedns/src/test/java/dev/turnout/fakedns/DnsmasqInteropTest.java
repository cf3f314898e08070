package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
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
  private Dnsmasq dnsmasq;

  @BeforeEach
  void start() throws Exception {
    dnsmasq =
        new Dnsmasq(
            "--host-record=web.example.test,203.0.113.80",
            "--host-record=trap.example.test,198.18.7.7",
            "--txt-record=txt.example.test,hello");
  }

  @AfterEach
  void stop() {
    if (dnsmasq != null) {
      dnsmasq.close();
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
    for (String spec : List.of(dnsmasq.address(), "tcp://" + dnsmasq.address())) {
      Upstream upstream = upstream(spec);
      assertThat(upstream.resolveIpv4("web.example.test").get(5, TimeUnit.SECONDS))
          .extracting(InetAddress::getHostAddress)
          .containsExactly("203.0.113.80");
      assertThat(upstream.resolveIpv4("trap.example.test")).failsWithin(Duration.ofSeconds(5));
      Message txt = upstream.query(query("txt.example.test.", Type.TXT)).get(5, TimeUnit.SECONDS);
      assertThat(txt.getRcode()).isEqualTo(Rcode.NOERROR);
      assertThat(txt.getSection(org.xbill.DNS.Section.ANSWER)).hasSize(1);
      upstream.close();
    }
  }
}
