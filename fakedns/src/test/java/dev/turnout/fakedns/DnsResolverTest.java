package dev.turnout.fakedns;

import static dev.turnout.fakedns.UpstreamTest.a;
import static dev.turnout.fakedns.UpstreamTest.name;
import static dev.turnout.fakedns.UpstreamTest.query;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** nameserver-policy, then nameserver with fallback and fallback-filter, as mihomo decides. */
class DnsResolverTest {
  /** 203.0.113.0/24 is "CN" in this test's country database; nothing else is anywhere. */
  private static final GeoIp GEO =
      (address, country) ->
          country.equals("CN") && address.getHostAddress().startsWith("203.0.113.");

  private FakeUpstream main;
  private FakeUpstream fallback;
  private FakeUpstream policy;
  private final List<Upstream> groups = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    main = new FakeUpstream();
    fallback = new FakeUpstream();
    policy = new FakeUpstream();
    main.add(a("www.test.", 60, "203.0.113.10"))
        .add(a("abroad.test.", 60, "198.51.100.10"))
        .add(a("local.test.", 60, "127.0.0.2"))
        .add(a("poisoned.test.", 60, "198.51.100.200"))
        .add(a("only.test.", 60, "203.0.113.61"))
        .add(a("pol.test.", 60, "198.51.100.98"))
        .add(new TXTRecord(name("txt.test."), DClass.IN, 60, "main"));
    fallback
        .add(a("www.test.", 60, "198.51.100.1"))
        .add(a("abroad.test.", 60, "198.51.100.11"))
        .add(a("poisoned.test.", 60, "203.0.113.50"))
        .add(a("only.test.", 60, "203.0.113.60"))
        .add(a("nx.test.", 60, "203.0.113.70"))
        .add(new TXTRecord(name("txt.test."), DClass.IN, 60, "fallback"));
    policy.add(a("pol.test.", 60, "203.0.113.99"));
  }

  @AfterEach
  void tearDown() throws Exception {
    groups.forEach(Upstream::close);
    main.close();
    fallback.close();
    policy.close();
  }

  private Upstream group(FakeUpstream server) {
    Upstream u =
        Upstream.builder(List.of(server.address())).timeout(Duration.ofMillis(500)).build();
    groups.add(u);
    return u;
  }

  private DnsResolver resolver() {
    FallbackFilter filter =
        FallbackFilter.builder()
            .geoip("cn", GEO)
            .ipcidr("198.51.100.128/25")
            .domain("+.only.test")
            .build();
    return DnsResolver.builder(group(main))
        .policy(NameserverPolicy.builder(DomainSets.NONE).add("pol.test", group(policy)).build())
        .fallback(group(fallback), filter)
        .hosts(Hosts.of(Map.of("pinned.test", List.of("203.0.113.5", "198.18.0.9"))))
        .forbiddenRange(UpstreamTest.FAKE_FIRST, UpstreamTest.FAKE_LAST)
        .build();
  }

  private static String address(Message answer) {
    return ((ARecord) answer.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress();
  }

  private static Message ask(DnsResolver r, String n, int type) throws Exception {
    return r.query(query(n, type)).get(5, TimeUnit.SECONDS);
  }

  @Test
  void anAnswerInTheCountryIsUsedAndFallbackIsNotAsked() throws Exception {
    assertThat(address(ask(resolver(), "www.test.", Type.A))).isEqualTo("203.0.113.10");
    assertThat(fallback.queries()).isZero();
  }

  @Test
  void anAnswerOutsideTheCountryIsReplacedByTheFallbackAnswer() throws Exception {
    assertThat(address(ask(resolver(), "abroad.test.", Type.A))).isEqualTo("198.51.100.11");
    assertThat(main.queries()).isEqualTo(1);
    assertThat(fallback.queries()).isEqualTo(1);
  }

  @Test
  void addressesThatAreNotOnTheInternetAreNotJudgedByCountry() throws Exception {
    assertThat(address(ask(resolver(), "local.test.", Type.A))).isEqualTo("127.0.0.2");
    assertThat(fallback.queries()).isZero();
  }

  @Test
  void anAddressInsideAnIpcidrRangeIsDistrusted() throws Exception {
    assertThat(address(ask(resolver(), "poisoned.test.", Type.A))).isEqualTo("203.0.113.50");
  }

  @Test
  void filteredDomainsNeverReachTheMainServers() throws Exception {
    assertThat(address(ask(resolver(), "only.test.", Type.A))).isEqualTo("203.0.113.60");
    assertThat(main.queries()).isZero();
  }

  @Test
  void noAddressOrNoAnswerFromMainMeansTheFallbackAnswer() throws Exception {
    DnsResolver r = resolver();
    assertThat(address(ask(r, "nx.test.", Type.A))).isEqualTo("203.0.113.70"); // main: NXDOMAIN
    main.mode = FakeUpstream.Mode.SILENT;
    assertThat(address(ask(r, "www.test.", Type.A))).isEqualTo("198.51.100.1");
  }

  @Test
  void whenFallbackFailsTheQueryFailsAsInMihomo() throws Exception {
    fallback.mode = FakeUpstream.Mode.SILENT;
    DnsResolver r = resolver();
    assertThat(r.query(query("abroad.test.", Type.A)))
        .failsWithin(Duration.ofSeconds(5))
        .withThrowableOfType(ExecutionException.class);
    assertThat(address(ask(r, "www.test.", Type.A))).isEqualTo("203.0.113.10"); // trusted: fine
  }

  @Test
  void otherQueryTypesGoToTheMainServersOnly() throws Exception {
    main.mode = FakeUpstream.Mode.SERVFAIL;
    Message txt = ask(resolver(), "txt.test.", Type.TXT);
    assertThat(txt.getRcode()).isEqualTo(Rcode.SERVFAIL);
    assertThat(fallback.queries()).isZero();
  }

  @Test
  void aPolicyNameGoesToItsServersAndNeverToFallback() throws Exception {
    DnsResolver r = resolver();
    assertThat(address(ask(r, "pol.test.", Type.A))).isEqualTo("203.0.113.99");
    Message aaaa = ask(r, "POL.test.", Type.AAAA); // no AAAA there: an empty answer, still theirs
    assertThat(aaaa.getSection(Section.ANSWER)).isEmpty();
    assertThat(policy.queries()).isEqualTo(2);
    assertThat(main.queries() + fallback.queries()).isZero();
  }

  @Test
  void dialingUsesHostsThenTheSameDecision() throws Exception {
    DnsResolver r = resolver();
    assertThat(r.resolveIpv4("pinned.test").get(5, TimeUnit.SECONDS))
        .extracting(InetAddress::getHostAddress)
        .containsExactly("203.0.113.5"); // the entry inside the fake-IP range is never dialed
    assertThat(r.resolveIpv4("abroad.test").get(5, TimeUnit.SECONDS))
        .extracting(InetAddress::getHostAddress)
        .containsExactly("198.51.100.11");
    assertThat(r.resolveIpv4("pol.test").get(5, TimeUnit.SECONDS))
        .extracting(InetAddress::getHostAddress)
        .containsExactly("203.0.113.99");
    assertThat(main.queries() + fallback.queries() + policy.queries()).isEqualTo(3);
  }
}
