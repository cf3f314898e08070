package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.channel.DefaultChannelPipeline;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * DNS over HTTPS against a real server: dnsdist (HTTP/2 by ALPN) in front of dnsmasq, on loopback
 * with a certificate made for the test. Skipped where either is not installed.
 */
class DohInteropTest {
  @TempDir Path dir;
  private Dnsmasq dnsmasq;
  private Dnsdist dnsdist;
  private TlsFronts.Pem pem;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    dnsmasq = new Dnsmasq(records());
    closing.add(dnsmasq);
    pem = TlsFronts.pem(dir, "IP:127.0.0.1,DNS:doh.test");
    dnsdist = new Dnsdist(dir, pem, dnsmasq.port);
    closing.add(dnsdist);
  }

  private static String[] records() {
    List<String> records = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      records.add("--host-record=n" + i + ".example.test,203.0.113." + (i + 1));
    }
    return records.toArray(String[]::new);
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private DnsTransport transport(int mark, List<Integer> marks) {
    DnsTransport transport =
        DnsTransport.builder()
            .sslContext(pem.client())
            .timeout(Duration.ofSeconds(5))
            .soMark(mark)
            .markRead(marks::add)
            .build();
    closing.add(transport);
    return transport;
  }

  private static Message query(String name) throws Exception {
    return Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
  }

  private static String address(Message answer) {
    return ((ARecord) answer.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress();
  }

  @Test
  void concurrentQueriesShareOneHttp2Connection() throws Exception {
    DnsTransport transport = transport(0, new ArrayList<>());
    Upstream upstream =
        Upstream.builder(List.of(dnsdist.spec())).transport(transport).cacheSize(0).build();
    Dnsmasq.awaitAnswers(upstream);
    List<CompletableFuture<Message>> answers = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      answers.add(upstream.query(query("n" + i + ".example.test.")));
    }
    for (int i = 0; i < 32; i++) {
      assertThat(address(answers.get(i).get(10, TimeUnit.SECONDS)))
          .isEqualTo("203.0.113." + (i + 1));
    }
    DohClient client = (DohClient) transport.client(Nameserver.parse(dnsdist.spec()), null);
    assertThat(client.http2Connections).hasValue(1);
    assertThat(client.http1Connections).hasValue(0);
  }

  @Test
  void serverGivenByNameIsResolvedThroughTheBootstrapAndVerifiedByName() throws Exception {
    try (FakeUpstream boot = new FakeUpstream()) {
      boot.add(
          new ARecord(
              Name.fromString("doh.test."),
              DClass.IN,
              60,
              java.net.InetAddress.getLoopbackAddress()));
      boot.add(
          new ARecord(
              Name.fromString("other.test."),
              DClass.IN,
              60,
              java.net.InetAddress.getLoopbackAddress()));
      DnsTransport transport = transport(0, new ArrayList<>());
      Upstream bootstrap = Upstream.builder(List.of(boot.address())).transport(transport).build();
      Upstream byName =
          Upstream.builder(List.of("https://doh.test:" + dnsdist.port + "/dns-query"))
              .transport(transport)
              .bootstrap(bootstrap)
              .cacheSize(0)
              .build();
      Dnsmasq.awaitAnswers(byName);
      for (int i = 0; i < 3; i++) {
        assertThat(
                address(byName.query(query("n" + i + ".example.test.")).get(10, TimeUnit.SECONDS)))
            .isEqualTo("203.0.113." + (i + 1));
      }
      assertThat(boot.queries()).isEqualTo(1); // the server's address is cached by TTL
      // the certificate names doh.test, not other.test: the connection is refused
      Upstream wrongName =
          Upstream.builder(List.of("https://other.test:" + dnsdist.port + "/dns-query"))
              .transport(transport)
              .bootstrap(bootstrap)
              .build();
      ListAppender<ILoggingEvent> lines = new ListAppender<>();
      Logger netty = (Logger) LoggerFactory.getLogger(DefaultChannelPipeline.class);
      lines.start();
      netty.addAppender(lines);
      try {
        assertThat(wrongName.query(query("n1.example.test.")))
            .failsWithin(Duration.ofSeconds(10))
            .withThrowableOfType(ExecutionException.class)
            .withMessageContaining("no upstream DNS server answered");
        Thread.sleep(100); // SslHandler's exception follows its handshake event
      } finally {
        netty.detachAppender(lines);
      }
      // the failure is the query's, not also a warning with a stack trace from Netty
      assertThat(lines.list).isEmpty();
    }
  }

  @Test
  void everyDohConnectionCarriesTheRoutingMark() throws Exception {
    Assumptions.assumeTrue(
        "root".equals(System.getProperty("user.name")), "setting SO_MARK needs CAP_NET_ADMIN");
    List<Integer> marks = new CopyOnWriteArrayList<>();
    DnsTransport transport = transport(0x2022, marks);
    Upstream upstream =
        Upstream.builder(List.of(dnsdist.spec())).transport(transport).cacheSize(0).build();
    Dnsmasq.awaitAnswers(upstream);
    int before = marks.size(); // start-up attempts may have opened connections
    for (int i = 0; i < 5; i++) {
      Message answer = upstream.query(query("n" + i + ".example.test.")).get(10, TimeUnit.SECONDS);
      assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
    }
    assertThat(marks).isNotEmpty().containsOnly(0x2022);
    assertThat(marks).hasSize(before); // the five queries reused the marked HTTP/2 connection
  }
}
