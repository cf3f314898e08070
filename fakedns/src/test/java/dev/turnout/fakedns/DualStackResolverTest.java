package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.ManualTimeSource;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Type;

/**
 * A and AAAA for DIRECT with IPv6 on, through {@link DnsResolver} as Turnout builds it, against a
 * real (in-process) DNS server.
 */
class DualStackResolverTest {
  private static final Cidr OWN6 = Cidr.parseMasking("fdfe:dcba:9876::/64");
  private static final Cidr OWN4 = Cidr.parseMasking("198.18.0.0/15");

  private final ManualTimeSource time = new ManualTimeSource();
  private FakeUpstream server;
  private Upstream upstream;
  private DnsResolver resolver;

  @BeforeEach
  void setUp() throws Exception {
    server = new FakeUpstream();
    server
        .add(UpstreamTest.a("both.test.", 60, "203.0.113.10"))
        .add(aaaa("both.test.", "2001:db8::10"))
        .add(aaaa("both.test.", "2001:db8::11"))
        .add(aaaa("v6only.test.", "2001:db8::80"))
        .add(UpstreamTest.a("v4only.test.", 60, "203.0.113.20"))
        .add(aaaa("loop6.test.", "fdfe:dcba:9876::5"))
        .add(aaaa("loop6.test.", "2001:db8::5"))
        .add(UpstreamTest.a("loop4.test.", 60, "198.18.0.9"));
    upstream =
        Upstream.builder(List.of(server.address()))
            .timeout(Duration.ofMillis(2000))
            .timeSource(time)
            .build();
    resolver =
        DnsResolver.builder(upstream)
            .forbiddenRange(OWN4.firstIpv4(), OWN4.lastIpv4())
            .ipv6(OWN6::contains)
            .hosts(Hosts.of(Map.of("pinned.test", List.of("2001:db8::7", "203.0.113.7"))))
            .timeSource(time)
            .build();
  }

  @AfterEach
  void tearDown() throws Exception {
    upstream.close();
    server.close();
  }

  static AAAARecord aaaa(String name, String address) throws Exception {
    return new AAAARecord(UpstreamTest.name(name), DClass.IN, 60, IpLiterals.parse(address));
  }

  private List<String> resolve(String host) throws Exception {
    return resolver.resolve(host).get(5, TimeUnit.SECONDS).stream()
        .map(IpLiterals::format)
        .toList();
  }

  @Test
  void ipv4ComesFirstThenIpv6() throws Exception {
    assertThat(resolve("both.test"))
        .containsExactly("203.0.113.10", "2001:db8::10", "2001:db8::11");
  }

  @Test
  void withoutIpv6OnlyIpv4IsResolvedAsBefore() throws Exception {
    DnsResolver ipv4Only =
        DnsResolver.builder(upstream).forbiddenRange(OWN4.firstIpv4(), OWN4.lastIpv4()).build();
    assertThat(ipv4Only.resolve("both.test").get(5, TimeUnit.SECONDS))
        .containsExactly(IpLiterals.parse("203.0.113.10"));
  }

  /** A hosts entry answers without a query, both families, IPv4 first. */
  @Test
  void aHostsEntryGivesBothFamiliesWithoutAsking() throws Exception {
    int asked = server.queries();
    assertThat(resolve("pinned.test")).containsExactly("203.0.113.7", "2001:db8::7");
    assertThat(server.queries()).isEqualTo(asked);
  }

  @Test
  void aNameWithOnlyAaaaIsReachedOverIpv6AndOneWithOnlyAOverIpv4() throws Exception {
    assertThat(resolve("v6only.test")).containsExactly("2001:db8::80");
    assertThat(resolve("v4only.test")).containsExactly("203.0.113.20");
  }

  @Test
  void addressesInsideTurnoutsOwnRangesAreDropped() throws Exception {
    assertThat(resolve("loop6.test")).containsExactly("2001:db8::5");
    assertThatThrownBy(() -> resolver.resolve("loop4.test").get(5, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(UnknownHostException.class)
        .hasMessageContaining("own range");
    assertThatThrownBy(() -> resolver.resolve("fdfe:dcba:9876::7").get(5, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(UnknownHostException.class);
    assertThat(resolve("2001:db8::99")).containsExactly("2001:db8::99");
  }

  @Test
  void aNameWithNeitherFailsWithTheUpstreamsReason() {
    assertThatThrownBy(() -> resolver.resolve("nope.test").get(5, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(UnknownHostException.class)
        .hasMessageContaining("NXDOMAIN");
  }

  /**
   * A name without AAAA (or A) records is not asked again for every dial: a negative answer without
   * SOA holds for a minute, a positive one for its TTL.
   */
  @Test
  void answersAndTheirAbsenceAreCachedForTheirTime() throws Exception {
    assertThat(resolve("v4only.test")).containsExactly("203.0.113.20");
    assertThat(resolve("v6only.test")).containsExactly("2001:db8::80");
    int asked = server.queries();
    time.advance(Duration.ofSeconds(59));
    resolve("v4only.test");
    resolve("v6only.test");
    assertThat(server.queries()).as("all four answers cached").isEqualTo(asked);
    time.advance(Duration.ofSeconds(2));
    resolve("v4only.test");
    assertThat(server.queries())
        .as("the A record's TTL of 60 s and the negative AAAA ran out")
        .isGreaterThan(asked);
  }

  @Test
  void aSilentAaaaDoesNotHoldUpAnAnswerIpv4CanServe() throws Exception {
    server.silentType = Type.AAAA;
    long start = System.nanoTime();
    List<InetAddress> addresses = resolver.resolve("both.test").get(5, TimeUnit.SECONDS);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(addresses).containsExactly(IpLiterals.parse("203.0.113.10"));
    assertThat(millis).as("well before the 2 s upstream timeout").isLessThan(1500);
  }
}
