package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.natrewrite.FlowFilter;
import dev.turnout.natrewrite.NatFlow;
import dev.turnout.netbase.HostResolver;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.relay.ConnectionLog;
import dev.turnout.relay.Connections;
import dev.turnout.rules.RuleEngine;
import dev.turnout.rules.RuleLine;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The first-packet judgement: a route travels with accepted flows; rejections are logged once. */
class RuleFlowFilterTest {
  private static final Inet4Address APP = Ipv4.address(0xc6120001); // 198.18.0.1
  private static final int TCP = 6;

  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  private final Logger connections = (Logger) ConnectionLog.CONNECTIONS;
  private RuleEngine rules;
  private RuleFlowFilter filter;
  private FakeIpPool pool;
  private FakeIpPool pool6;

  @BeforeEach
  void setUp() throws Exception {
    rules =
        RuleEngine.builder()
            .rules(
                List.of(
                    new RuleLine("DOMAIN,blocked.test,REJECT", "test.yaml", 1),
                    new RuleLine("IP-CIDR6,2001:db8:bad::/48,REJECT,no-resolve", "test.yaml", 2),
                    new RuleLine("MATCH,DIRECT", "test.yaml", 3)))
            .policies(List.of("DIRECT", "REJECT", "REJECT-DROP"))
            .build();
    Map<String, Outbound> outbounds = Map.of("REJECT", new RejectOutbound());
    RuleRouter router =
        new RuleRouter(
            rules, outbounds, new ProcessLookup(Path.of("/proc")), TurnoutConfig.Mode.RULE);
    pool = new FakeIpPool(0xc6120002, 0xc61200ff);
    pool6 = FakeIpPool.of(IpLiterals.parse("fdfe:dcba:9876::2"), 1000);
    filter = new RuleFlowFilter(router, new FakePools(pool, pool6));
    lines.start();
    connections.addAppender(lines);
  }

  @AfterEach
  void tearDown() throws Exception {
    connections.detachAppender(lines);
    rules.close();
  }

  @Test
  void aRetransmittedRejectedSynIsRejectedEveryTimeButLoggedOnce() {
    Inet4Address fake = (Inet4Address) pool.addressFor("blocked.test");
    for (int i = 0; i < 5; i++) {
      FlowFilter.Judgement judgement = filter.judge(TCP, APP, 40000, fake, 443);
      assertThat(judgement.action()).isEqualTo(FlowFilter.Action.REJECT);
    }
    assertThat(lines.list).hasSize(1);
    assertThat(lines.list.get(0).getFormattedMessage())
        .contains("blocked.test:443")
        .contains("via REJECT (first packet)");
    filter.judge(TCP, APP, 40001, fake, 443); // another flow: its own line
    assertThat(lines.list).hasSize(2);
  }

  @Test
  void ipv6FlowsAreJudgedByTheirNameOrTheirAddress() {
    InetAddress app6 = IpLiterals.parse("fdfe:dcba:9876::1");
    InetAddress blocked6 = pool6.addressFor("blocked.test");
    assertThat(filter.judge(TCP, app6, 40000, blocked6, 443).action())
        .isEqualTo(FlowFilter.Action.REJECT);
    InetAddress literal = IpLiterals.parse("2001:db8:bad::80");
    assertThat(filter.judge(TCP, app6, 40001, literal, 80).action())
        .isEqualTo(FlowFilter.Action.REJECT);
    FlowFilter.Judgement named =
        filter.judge(TCP, app6, 40002, pool6.addressFor("www.example.test"), 80);
    assertThat(((RuleFlowFilter.Judged) named).host()).isEqualTo("www.example.test");
    FlowFilter.Judgement real =
        filter.judge(TCP, app6, 40003, IpLiterals.parse("2001:db8::80"), 80);
    assertThat(((RuleFlowFilter.Judged) real).host()).isNull();
    assertThat(((RuleFlowFilter.Judged) real).route().policy()).isEqualTo("DIRECT");
    assertThat(lines.list.get(1).getFormattedMessage()).contains("[2001:db8:bad::80]:80");
  }

  @Test
  void anAcceptedFlowCarriesItsRouteAndTheNameItWasJudgedFor() {
    Inet4Address fake = (Inet4Address) pool.addressFor("www.example.test");
    FlowFilter.Judgement judgement = filter.judge(TCP, APP, 40000, fake, 80);
    assertThat(judgement).isInstanceOf(RuleFlowFilter.Judged.class);
    RuleFlowFilter.Judged judged = (RuleFlowFilter.Judged) judgement;
    assertThat(judged.host()).isEqualTo("www.example.test");
    assertThat(judged.route().policy()).isEqualTo("DIRECT");
    assertThat(judged.route().rule()).isEqualTo("MATCH");
    assertThat(lines.list).isEmpty(); // the relay logs accepted flows
  }

  @Test
  void aDirectFlowTheKernelMayForwardIsJudgedForwardAndLoggedOnceTheNatTookIt() {
    InetAddress real = IpLiterals.parse("203.0.113.10");
    HostResolver resolver = host -> CompletableFuture.completedFuture(List.of(real));
    RuleRouter router =
        new RuleRouter(
            rules,
            Map.of(
                "REJECT", new RejectOutbound(), "DIRECT", new DirectOutbound(resolver, a -> false)),
            new ProcessLookup(Path.of("/proc")),
            TurnoutConfig.Mode.RULE);
    RuleFlowFilter forwarding =
        new RuleFlowFilter(
            router,
            new FakePools(pool, pool6),
            new DirectNat(
                DirectNatTest.ready(new ForwardingState()),
                resolver,
                a -> false,
                TimeSource.SYSTEM));
    Inet4Address fake = (Inet4Address) pool.addressFor("www.example.test");

    FlowFilter.Judgement judgement = forwarding.judge(TCP, APP, 40000, fake, 80);

    assertThat(judgement.action()).isEqualTo(FlowFilter.Action.FORWARD);
    assertThat(judgement.forwardTo()).isEqualTo(Ipv4.toInt(real));
    assertThat(((RuleFlowFilter.Judged) judgement).route().policy()).isEqualTo("DIRECT");
    assertThat(lines.list)
        .as("not yet: should the NAT not take it (too many forwarded flows), the relay logs it")
        .isEmpty();

    Connections listed = new Connections(policy -> List.of(policy));
    Object handle =
        new ForwardedConnections(listed, new ForwardingState())
            .started(new NatFlow(APP, 40000, fake, 80, judgement), () -> {}, () -> 300, () -> 7000);

    assertThat(handle).isNotNull();
    assertThat(listed.snapshot())
        .singleElement()
        .satisfies(
            c -> assertThat(new long[] {c.upload(), c.download()}).containsExactly(300, 7000));
    assertThat(lines.list).hasSize(1);
    assertThat(lines.list.get(0).getFormattedMessage())
        .contains("www.example.test:80")
        .endsWith("via DIRECT (first packet, forwarded by the kernel to 203.0.113.10)");
    assertThat(forwarding.judge(17, APP, 40000, fake, 80).action())
        .as("UDP is relayed")
        .isEqualTo(FlowFilter.Action.ACCEPT);
  }

  @Test
  void aFloodOfDistinctRejectedFlowsIsLoggedAtALimitedRate() {
    Inet4Address fake = (Inet4Address) pool.addressFor("blocked.test");
    for (int port = 1024; port < 1024 + 5_000; port++) {
      filter.judge(TCP, APP, port, fake, 443);
    }
    assertThat(lines.list.size()).isBetween(200, 260);
  }
}
