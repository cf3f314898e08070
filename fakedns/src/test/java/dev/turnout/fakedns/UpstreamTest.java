package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.netbase.ManualTimeSource;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

class UpstreamTest {
  static final int FAKE_FIRST = 0xC6120000; // 198.18.0.0
  static final int FAKE_LAST = 0xC613FFFF; // 198.19.255.255

  private FakeUpstream first;
  private FakeUpstream second;
  private final ManualTimeSource time = new ManualTimeSource();

  @BeforeEach
  void setUp() throws Exception {
    first = new FakeUpstream();
    second = new FakeUpstream();
    for (FakeUpstream u : List.of(first, second)) {
      u.add(new TXTRecord(name("txt.test."), DClass.IN, 300, "hello"))
          .add(a("www.test.", 60, "203.0.113.10"))
          .add(a("www.test.", 60, "203.0.113.11"))
          .add(a("zero.test.", 0, "203.0.113.20"))
          .add(a("mixed.test.", 60, "198.18.0.5"))
          .add(a("mixed.test.", 60, "203.0.113.30"))
          .add(a("loop.test.", 60, "198.19.1.1"))
          .add(new TXTRecord(name("onlytxt.test."), DClass.IN, 60, "x"));
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    first.close();
    second.close();
  }

  static Name name(String s) throws Exception {
    return Name.fromString(s);
  }

  static ARecord a(String n, long ttl, String ip) throws Exception {
    return new ARecord(name(n), DClass.IN, ttl, InetAddress.getByName(ip));
  }

  static Message query(String n, int type) throws Exception {
    return Message.newQuery(Record.newRecord(name(n), type, DClass.IN));
  }

  private Upstream.Builder builder(FakeUpstream... servers) {
    return Upstream.builder(java.util.Arrays.stream(servers).map(FakeUpstream::address).toList())
        .timeout(Duration.ofMillis(300))
        .forbiddenRange(FAKE_FIRST, FAKE_LAST)
        .timeSource(time);
  }

  @Test
  void forwardsAndRestoresTheCallersId() throws Exception {
    Message q = query("txt.test.", Type.TXT);
    q.getHeader().setID(4242);
    Message answer = builder(first).build().query(q).get(5, TimeUnit.SECONDS);
    assertThat(answer.getHeader().getID()).isEqualTo(4242);
    assertThat(answer.getSection(Section.ANSWER)).hasSize(1);
    assertThat(first.udpQueries).hasValue(1);
  }

  @Test
  void truncatedUdpAnswerIsRetriedOverTcp() throws Exception {
    first.mode = FakeUpstream.Mode.TRUNCATE_UDP;
    Message answer =
        builder(first).build().query(query("txt.test.", Type.TXT)).get(5, TimeUnit.SECONDS);
    assertThat(answer.getSection(Section.ANSWER)).hasSize(1);
    assertThat(first.udpQueries).hasValue(1);
    assertThat(first.tcpQueries).hasValue(1);
  }

  @Test
  void tcpSchemeUsesTcpOnly() throws Exception {
    Upstream upstream =
        Upstream.builder(List.of("tcp://" + first.address()))
            .timeout(Duration.ofSeconds(2))
            .build();
    Message answer = upstream.query(query("txt.test.", Type.TXT)).get(5, TimeUnit.SECONDS);
    assertThat(answer.getSection(Section.ANSWER)).hasSize(1);
    assertThat(first.udpQueries).hasValue(0);
    assertThat(first.tcpQueries).hasValue(1);
  }

  @Test
  void udpStillWorksWhileATcpConnectionToTheSameServerIsOpen() throws Exception {
    Upstream tcp = Upstream.builder(List.of("tcp://" + first.address())).build();
    Upstream udp = builder(first).build();
    tcp.query(query("txt.test.", Type.TXT)).get(5, TimeUnit.SECONDS);
    Message answer = udp.query(query("txt.test.", Type.TXT)).get(5, TimeUnit.SECONDS);
    assertThat(answer.getSection(Section.ANSWER)).hasSize(1);
    assertThat(first.udpQueries).hasValue(1);
  }

  @Test
  void timeoutFallsBackToTheNextServer() throws Exception {
    first.mode = FakeUpstream.Mode.SILENT;
    Message answer =
        builder(first, second).build().query(query("txt.test.", Type.TXT)).get(5, TimeUnit.SECONDS);
    assertThat(answer.getSection(Section.ANSWER)).hasSize(1);
    assertThat(first.udpQueries).hasValue(1);
    assertThat(second.udpQueries).hasValue(1);
  }

  @Test
  void servfailFallsBackToTheNextServer() throws Exception {
    first.mode = FakeUpstream.Mode.SERVFAIL;
    Message answer =
        builder(first, second).build().query(query("txt.test.", Type.TXT)).get(5, TimeUnit.SECONDS);
    assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(second.udpQueries).hasValue(1);
  }

  @Test
  void lastServfailIsReturnedWhenEveryServerFails() throws Exception {
    first.mode = FakeUpstream.Mode.SERVFAIL;
    second.mode = FakeUpstream.Mode.SILENT;
    Message answer =
        builder(first, second).build().query(query("txt.test.", Type.TXT)).get(5, TimeUnit.SECONDS);
    assertThat(answer.getRcode()).isEqualTo(Rcode.SERVFAIL);
  }

  @Test
  void allServersSilentFailsWithIoException() {
    first.mode = FakeUpstream.Mode.SILENT;
    second.mode = FakeUpstream.Mode.SILENT;
    Upstream upstream = builder(first, second).build();
    assertThatThrownBy(() -> upstream.query(query("txt.test.", Type.TXT)).get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("no upstream DNS server answered");
  }

  @Test
  void resolveIpv4IsCachedForTheTtl() throws Exception {
    Upstream upstream = builder(first).build();
    List<String> expected = List.of("203.0.113.10", "203.0.113.11");
    assertThat(hosts(upstream, "www.test")).isEqualTo(expected);
    assertThat(hosts(upstream, "WWW.test.")).isEqualTo(expected);
    assertThat(first.queries()).isEqualTo(1);
    time.advance(Duration.ofSeconds(59));
    assertThat(hosts(upstream, "www.test")).isEqualTo(expected);
    assertThat(first.queries()).isEqualTo(1);
    time.advance(Duration.ofSeconds(2));
    assertThat(hosts(upstream, "www.test")).isEqualTo(expected);
    assertThat(first.queries()).isEqualTo(2);
  }

  @Test
  void zeroTtlIsCachedForOneSecond() throws Exception {
    Upstream upstream = builder(first).build();
    hosts(upstream, "zero.test");
    time.advance(Duration.ofMillis(900));
    hosts(upstream, "zero.test");
    assertThat(first.queries()).isEqualTo(1);
    time.advance(Duration.ofMillis(200));
    hosts(upstream, "zero.test");
    assertThat(first.queries()).isEqualTo(2);
  }

  @Test
  void addressesInTheFakeRangeAreDropped() throws Exception {
    Upstream upstream = builder(first).build();
    assertThat(hosts(upstream, "mixed.test")).containsExactly("203.0.113.30");
    assertThatThrownBy(() -> upstream.resolveIpv4("loop.test").get(5, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(UnknownHostException.class)
        .hasMessageContaining("fake-IP range");
    assertThatThrownBy(() -> upstream.resolveIpv4("198.18.3.4").get(5, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(UnknownHostException.class);
    assertThat(hosts(upstream, "192.0.2.1")).containsExactly("192.0.2.1");
  }

  @Test
  void nxdomainAndNoAnswerFailClearly() {
    Upstream upstream = builder(first).build();
    assertThatThrownBy(() -> upstream.resolveIpv4("nope.test").get(5, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(UnknownHostException.class)
        .hasMessageContaining("NXDOMAIN");
    assertThatThrownBy(() -> upstream.resolveIpv4("onlytxt.test").get(5, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(UnknownHostException.class)
        .hasMessageContaining("no A record");
    // failures are not cached
    assertThatThrownBy(() -> upstream.resolveIpv4("nope.test").get(5, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(UnknownHostException.class);
    assertThat(first.queries()).isEqualTo(3);
  }

  @Test
  void builderRejectsBadInput() {
    assertThatThrownBy(() -> Upstream.builder(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("accepted forms");
    assertThatThrownBy(() -> Upstream.builder(List.of("https://dns.example/dns-query")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("given by name")
        .hasMessageContaining("default-nameserver");
  }

  /** Whether this process may set SO_MARK (CAP_NET_ADMIN); the mark tests need it. */
  private static boolean canMark() {
    return "root".equals(System.getProperty("user.name"));
  }

  @Test
  void everyUpstreamSocketCarriesTheMarkReadBackFromTheKernel(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(canMark(), "setting SO_MARK needs CAP_NET_ADMIN");
    TlsFronts.Contexts tls = TlsFronts.contexts(dir);
    first.mode = FakeUpstream.Mode.TRUNCATE_UDP; // UDP, then a TCP retry
    try (TlsFronts.Dot dot = new TlsFronts.Dot(tls.server(), plainPort(second));
        TlsFronts.Doh doh = new TlsFronts.Doh(tls.server(), plainPort(second))) {
      java.util.List<Integer> marks = new java.util.concurrent.CopyOnWriteArrayList<>();
      for (String spec :
          List.of(first.address(), "tcp://" + second.address(), dot.spec(), doh.spec())) {
        try (Upstream upstream =
            Upstream.builder(List.of(spec))
                .timeout(Duration.ofSeconds(5))
                .sslContext(tls.client())
                .cacheSize(0)
                .soMark(0x2022)
                .markRead(marks::add)
                .build()) {
          for (int i = 0; i < 2; i++) {
            Message answer = upstream.query(query("txt.test.", Type.TXT)).get(10, TimeUnit.SECONDS);
            assertThat(answer.getSection(Section.ANSWER))
                .singleElement()
                .isInstanceOf(TXTRecord.class);
          }
        }
      }
      assertThat(first.udpQueries).hasValue(2);
      assertThat(first.tcpQueries).hasValue(2);
      // tcp://, and the DoT and DoH fronts forward over TCP
      assertThat(second.tcpQueries).hasValue(2 + 2 + 2);
      assertThat(dot.queries).hasValue(2);
      assertThat(dot.accepted).hasValue(1); // the marked TLS connection is kept alive
      assertThat(doh.queries).hasValue(2);
      // 2 UDP + 2 TCP retries, 2 tcp://, 1 DoT and 1 DoH connection: each marked before use
      assertThat(marks).hasSize(8).containsOnly(0x2022);
    }
  }

  @Test
  void unmarkedUpstreamReadsNoMarkAndStillWorksAfterManyQueries() throws Exception {
    java.util.List<Integer> marks = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (Upstream upstream = builder(first).cacheSize(0).markRead(marks::add).build()) {
      for (int i = 0; i < 50; i++) {
        upstream.query(query("txt.test.", Type.TXT)).get(5, TimeUnit.SECONDS);
      }
    }
    assertThat(first.udpQueries).hasValue(50);
    assertThat(marks).isEmpty(); // mark 0: the option is never touched
  }

  @Test
  void queriesAfterCloseFailInsteadOfHanging() throws Exception {
    Upstream upstream = builder(first).build();
    upstream.query(query("txt.test.", Type.TXT)).get(5, TimeUnit.SECONDS);
    upstream.close();
    assertThatThrownBy(() -> upstream.query(query("www.test.", Type.A)).get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(java.io.IOException.class);
  }

  private static List<String> hosts(Upstream upstream, String name) throws Exception {
    return upstream.resolveIpv4(name).get(5, TimeUnit.SECONDS).stream()
        .map(InetAddress::getHostAddress)
        .toList();
  }

  private int plainPort(FakeUpstream u) {
    return Integer.parseInt(u.address().substring(u.address().indexOf(':') + 1));
  }

  @Test
  void dnsOverTlsAndHttpsWithConnectionReuse(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    TlsFronts.Contexts tls = TlsFronts.contexts(dir);
    try (TlsFronts.Dot dot = new TlsFronts.Dot(tls.server(), plainPort(first));
        TlsFronts.Doh doh = new TlsFronts.Doh(tls.server(), plainPort(first))) {
      for (String spec : List.of(dot.spec(), doh.spec())) {
        Upstream upstream =
            Upstream.builder(List.of(spec))
                .timeout(Duration.ofSeconds(5))
                .sslContext(tls.client())
                .cacheSize(0)
                .build();
        for (int i = 0; i < 5; i++) {
          Message q = query("txt.test.", Type.TXT);
          q.getHeader().setID(100 + i);
          Message answer = upstream.query(q).get(10, TimeUnit.SECONDS);
          assertThat(answer.getHeader().getID()).isEqualTo(100 + i);
          assertThat(answer.getSection(Section.ANSWER))
              .singleElement()
              .isInstanceOf(TXTRecord.class);
        }
        assertThat(upstream.resolveIpv4("www.test").get(10, TimeUnit.SECONDS)).hasSize(2);
      }
      assertThat(dot.queries).hasValue(6);
      assertThat(dot.accepted).hasValue(1); // one kept-alive TLS connection for all six
      assertThat(doh.queries).hasValue(6);
    }
  }

  @Test
  void tlsToAServerWithAnUntrustedCertificateFailsOverToTheNext(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    TlsFronts.Contexts tls = TlsFronts.contexts(dir);
    try (TlsFronts.Dot dot = new TlsFronts.Dot(tls.server(), plainPort(first))) {
      // the JDK's default trust store does not know the test certificate
      Upstream upstream =
          Upstream.builder(List.of(dot.spec(), second.address()))
              .timeout(Duration.ofSeconds(5))
              .build();
      Message answer = upstream.query(query("txt.test.", Type.TXT)).get(10, TimeUnit.SECONDS);
      assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
      assertThat(dot.queries).hasValue(0);
      assertThat(second.queries()).isEqualTo(1);
    }
  }

  @Test
  void aClearedCacheAsksTheUpstreamAgain() throws Exception {
    Upstream upstream = builder(first).build();
    upstream.query(query("txt.test.", Type.TXT)).get(5, TimeUnit.SECONDS);
    upstream.query(query("txt.test.", Type.TXT)).get(5, TimeUnit.SECONDS);
    assertThat(first.queries()).isEqualTo(1);
    upstream.clearCache();
    upstream.query(query("txt.test.", Type.TXT)).get(5, TimeUnit.SECONDS);
    assertThat(first.queries()).isEqualTo(2);
  }

  @Test
  void answersAreCachedWithCountedDownTtlsUntilTheyExpire() throws Exception {
    Upstream upstream = builder(first).build();
    Message one = upstream.query(query("txt.test.", Type.TXT)).get(5, TimeUnit.SECONDS);
    assertThat(one.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(300);
    time.advance(Duration.ofSeconds(100));
    Message q = query("TXT.test.", Type.TXT);
    q.getHeader().setID(999);
    Message two = upstream.query(q).get(5, TimeUnit.SECONDS);
    assertThat(two.getHeader().getID()).isEqualTo(999);
    assertThat(two.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(200);
    assertThat(first.queries()).isEqualTo(1);
    assertThat(upstream.cacheHits()).isEqualTo(1);
    time.advance(Duration.ofSeconds(201));
    upstream.query(query("txt.test.", Type.TXT)).get(5, TimeUnit.SECONDS);
    assertThat(first.queries()).isEqualTo(2); // expired: asked again
    // zero TTL and NXDOMAIN without SOA are not cached; other types have their own entry
    upstream.query(query("zero.test.", Type.A)).get(5, TimeUnit.SECONDS);
    upstream.query(query("zero.test.", Type.A)).get(5, TimeUnit.SECONDS);
    upstream.query(query("nothing.test.", Type.A)).get(5, TimeUnit.SECONDS);
    upstream.query(query("nothing.test.", Type.A)).get(5, TimeUnit.SECONDS);
    assertThat(first.queries()).isEqualTo(6);
  }

  @Test
  void serverInsideTheFakeRangeIsRejected() {
    assertThatThrownBy(
            () ->
                Upstream.builder(List.of("198.18.0.1"))
                    .forbiddenRange(FAKE_FIRST, FAKE_LAST)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("loop");
  }
}
