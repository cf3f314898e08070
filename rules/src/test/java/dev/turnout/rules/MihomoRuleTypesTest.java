package dev.turnout.rules;

import static dev.turnout.rules.Fixtures.host;
import static dev.turnout.rules.Fixtures.ip;
import static dev.turnout.rules.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The rule types mihomo configs use beyond Clash's: one behaviour per test, with its edges. */
class MihomoRuleTypesTest {
  private static ConnectionInfo.Builder conn(String target, int port) {
    return ConnectionInfo.builder(Network.TCP)
        .target(target)
        .destination(Addresses.parseLiteral(target), port)
        .source(ip("192.0.2.10"), 40001);
  }

  @Test
  void domainWildcardStarIsAnyRunQuestionMarkOneCharacter() throws Exception {
    RuleEngine e =
        Fixtures.engine("DOMAIN-WILDCARD,*.Example.com,P1", "DOMAIN-WILDCARD,img?.cdn.*,P2");
    assertThat(e.decide(host("a.example.com")).policy()).isEqualTo("P1");
    assertThat(e.decide(host("a.b.example.com")).policy()).isEqualTo("P1"); // '*' spans dots
    assertThat(e.decide(host("example.com")).fallback()).isTrue();
    assertThat(e.decide(host("img1.cdn.net")).policy()).isEqualTo("P2");
    assertThat(e.decide(host("img12.cdn.net")).fallback()).isTrue();
    assertThat(e.decide(host("ximg1.cdn.net")).fallback()).isTrue(); // anchored
  }

  @Test
  void ipSuffixComparesTheLowBitsOfEitherFamily() throws Exception {
    RuleEngine e =
        Fixtures.engine(
            "IP-SUFFIX,0.0.0.7/8,P1",
            "IP-SUFFIX,::1:0:5/20,P2",
            "SRC-IP-SUFFIX,0.0.0.10/8,P3",
            "IP-CIDR,203.0.113.0/24,P4,src");
    assertThat(e.decide(tcp("198.51.100.7", 80)).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("203.0.113.7", 80)).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("2001:db8::7", 80)).policy()).isNotEqualTo("P1");
    assertThat(e.decide(tcp("2001:db8::5", 80)).policy()).isEqualTo("P2"); // low 20 bits 0x00005
    assertThat(e.decide(tcp("2001:db8::1:5", 80)).policy()).isNotEqualTo("P2");
    assertThat(e.decide(conn("198.51.100.8", 80).build()).policy()).isEqualTo("P3");
    ConnectionInfo fromDoc =
        conn("198.51.100.9", 80).source(ip("203.0.113.99"), 1).build(); // source .99
    assertThat(e.decide(fromDoc).policy()).isEqualTo("P4");
  }

  @Test
  void portListsAndRangesAsMihomoWritesThem() throws Exception {
    RuleEngine e =
        Fixtures.engine(
            "DST-PORT,80/443/8000-8080,P1", "SRC-PORT,[40000-40010],P2", "IN-PORT,7890,P3");
    assertThat(e.decide(tcp("a.com", 8042)).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("a.com", 443)).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("a.com", 22)).policy()).isEqualTo("P2"); // source port 40001
    ConnectionInfo viaMixed =
        conn("a.com", 22).source(ip("192.0.2.10"), 1).inbound("HTTP", "mixed", 7890).build();
    assertThat(e.decide(viaMixed).policy()).isEqualTo("P3");
    assertThatThrownBy(() -> Fixtures.engine("DST-PORT,90-80,P1"))
        .hasMessageContaining("backwards");
    assertThatThrownBy(() -> Fixtures.engine("DST-PORT,70000,P1"))
        .hasMessageContaining("not a port");
  }

  @Test
  void inboundTypeNameAndUser() throws Exception {
    RuleEngine e =
        Fixtures.engine(
            "IN-USER,alice/bob,P1",
            "IN-TYPE,socks,P2",
            "IN-NAME,DEFAULT-TUN,P3",
            "IN-TYPE,Tun/HTTP,P4");
    ConnectionInfo tun = conn("a.com", 443).inbound("Tun", "DEFAULT-TUN", 0).build();
    assertThat(e.decide(tun).policy()).isEqualTo("P3");
    ConnectionInfo socks = conn("a.com", 443).inbound("Socks5", "socks-in", 7891).build();
    assertThat(e.decide(socks).policy()).isEqualTo("P2");
    ConnectionInfo alice =
        conn("a.com", 443).inbound("Socks5", "socks-in", 7891).inboundUser("alice").build();
    assertThat(e.decide(alice).policy()).isEqualTo("P1");
    ConnectionInfo http = conn("a.com", 443).inbound("http", "http-in", 8080).build();
    assertThat(e.decide(http).policy()).isEqualTo("P4");
    assertThat(e.decide(host("a.com")).fallback()).isTrue(); // inbound not told: no match
    assertThatThrownBy(() -> Fixtures.engine("IN-TYPE,carrier-pigeon,P1"))
        .hasMessageContaining("unknown inbound type");
  }

  @Test
  void uidAndProcessRulesShareOneLookup() throws Exception {
    RuleEngine e =
        Fixtures.engine(
            "UID,1000-1999/0,P1",
            "PROCESS-NAME,Telegram-Desktop-Client,P2",
            "PROCESS-NAME-REGEX,^fire.*,P3",
            "PROCESS-PATH-REGEX,(?i)/OPT/,P4",
            "PROCESS-PATH,/usr/bin/CURL,REJECT");
    AtomicInteger lookups = new AtomicInteger();
    ConnectionInfo owned =
        conn("a.com", 443)
            .process(
                () -> {
                  lookups.incrementAndGet();
                  return new ProcessInfo("curl", "/usr/bin/curl", 1500);
                })
            .build();
    assertThat(e.decide(owned).policy()).isEqualTo("P1");
    assertThat(lookups).hasValue(1);
    assertThat(e.mayBlock()).isTrue();
    assertThat(decide(e, new ProcessInfo("telegram-desktop-client", "/x", 5000)))
        .isEqualTo("P2"); // longer than 15 characters, any case
    assertThat(decide(e, new ProcessInfo("Firefox-esr", "/usr/lib/firefox", 5000))).isEqualTo("P3");
    assertThat(decide(e, new ProcessInfo("app", "/opt/app/bin/app", 5000))).isEqualTo("P4");
    assertThat(decide(e, new ProcessInfo("curl", "/usr/bin/curl"))).isEqualTo("REJECT"); // no uid
    assertThat(decide(e, new ProcessInfo(null, null, 42))).isEqualTo("DIRECT");
    assertThatThrownBy(() -> Fixtures.engine("UID,x,P1")).hasMessageContaining("not a number");
  }

  /** mihomo's wildcards over the whole process name or path, ignoring case. */
  @Test
  void processWildcardsMatchTheWholeNameOrPath() throws Exception {
    RuleEngine e =
        Fixtures.engine(
            "PROCESS-NAME-WILDCARD,fire*,P1",
            "PROCESS-NAME-WILDCARD,?url,P2",
            "PROCESS-PATH-WILDCARD,/opt/*/bin/*,P3",
            "MATCH,DIRECT");
    assertThat(decide(e, new ProcessInfo("Firefox-esr", "/usr/lib/firefox", 5000))).isEqualTo("P1");
    assertThat(decide(e, new ProcessInfo("curl", "/usr/bin/curl", 5000))).isEqualTo("P2");
    assertThat(decide(e, new ProcessInfo("wcurl", "/usr/bin/wcurl", 5000))).isEqualTo("DIRECT");
    assertThat(decide(e, new ProcessInfo("app", "/OPT/app/bin/app", 5000))).isEqualTo("P3");
    assertThat(decide(e, new ProcessInfo("app", "/usr/opt/app/bin/app", 5000)))
        .isEqualTo("DIRECT"); // the whole path, not a part of it
    assertThat(decide(e, new ProcessInfo("a.b", "/x", 5000))).isEqualTo("DIRECT");
    assertThat(e.mayBlock()).isTrue();
    assertThatThrownBy(() -> Fixtures.engine("PROCESS-NAME-WILDCARD,,P1"))
        .hasMessageContaining("empty wildcard");
  }

  private static String decide(RuleEngine e, ProcessInfo p) {
    return e.decide(conn("a.com", 443).process(() -> p).build()).policy();
  }

  @Test
  void srcGeoipLanAndOptionChecks() throws Exception {
    RuleEngine e = Fixtures.engine("SRC-GEOIP,lan,P1", "GEOIP,LAN,P2,src", "MATCH,P3");
    ConnectionInfo fromLan = conn("a.com", 443).source(ip("192.168.1.2"), 1).build();
    assertThat(e.decide(fromLan).policy()).isEqualTo("P1");
    assertThat(e.decide(conn("a.com", 443).build()).policy()).isEqualTo("P3"); // 192.0.2.10
    assertThatThrownBy(() -> Fixtures.engine("SRC-GEOIP,CN,P1"))
        .hasMessageContaining("needs a country database");
    assertThatThrownBy(() -> Fixtures.engine("DOMAIN,a.com,P1,src"))
        .hasMessageContaining("'src' applies to");
  }

  /** The neighbour tables' MAC of the source, looked up only when a SRC-MAC rule is reached. */
  @Test
  void srcMacMatchesTheSourcesHardwareAddressInEitherSpelling() throws Exception {
    RuleEngine e =
        Fixtures.engine(
            "DOMAIN,early.com,Proxy",
            "SRC-MAC,02:00:5E:00:53:01,P1",
            "OR,((SRC-MAC,02-00-5e-00-53-02),(SRC-MAC,02:00:5e:00:53:03)),P2",
            "MATCH,P3");
    assertThat(e.mayBlock()).isTrue(); // the lookup reads the kernel's tables
    int[] calls = {0};
    String[] mac = {"02:00:5e:00:53:01"};
    ConnectionInfo.Builder b =
        conn("a.com", 443)
            .sourceMac(
                () -> {
                  calls[0]++;
                  return mac[0];
                });
    assertThat(e.decide(conn("early.com", 443).build()).policy()).isEqualTo("Proxy");
    assertThat(e.decide(b.build()).policy()).isEqualTo("P1");
    assertThat(calls[0]).isEqualTo(1);
    mac[0] = "02:00:5e:00:53:03";
    assertThat(e.decide(b.build()).policy()).isEqualTo("P2");
    assertThat(calls[0]).isEqualTo(2); // once per decision, however many rules ask
    mac[0] = null; // this host's own connections, hosts beyond a router
    assertThat(e.decide(b.build()).policy()).isEqualTo("P3");
    assertThat(e.decide(conn("a.com", 443).build()).policy()).isEqualTo("P3");
    for (String bad : List.of("02:00:5e:00:53", "02:00:5e:00:53:0g", "02:00-5e:00:53:01", "x")) {
      assertThatThrownBy(() -> Fixtures.engine("SRC-MAC," + bad + ",P1"))
          .as(bad)
          .hasMessageContaining("SRC-MAC takes a MAC address");
    }
  }

  @Test
  void unknownTypesStayErrorsInRulesAndSaySo() {
    assertThatThrownBy(() -> Fixtures.engine("DSCP,46,P1"))
        .isInstanceOf(RuleException.class)
        .hasMessageContaining("config.yaml:10")
        .hasMessageContaining("unknown rule type 'DSCP'")
        .hasMessageContaining("would route differently");
  }
}
