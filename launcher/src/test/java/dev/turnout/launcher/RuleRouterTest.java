package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.netbase.HostResolver;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.rules.ConnectionInfo;
import dev.turnout.rules.Network;
import dev.turnout.rules.RuleEngine;
import dev.turnout.rules.RuleLine;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The mode Turnout runs in decides before the rules do, and a first packet never waits. */
class RuleRouterTest {
  private final Outbound reject = new RejectOutbound();
  private final Outbound global = new RejectOutbound();
  private final Outbound direct = RejectOutbound.drop();

  private RuleRouter router(TurnoutConfig.Mode mode) throws Exception {
    RuleEngine rules =
        RuleEngine.builder()
            .rules(List.of(new RuleLine("MATCH,REJECT", "c.yaml", 3)))
            .policies(Set.of("DIRECT", "REJECT", "REJECT-DROP", "GLOBAL"))
            .build();
    return new RuleRouter(
        rules,
        Map.of("GLOBAL", global, "DIRECT", direct),
        new ProcessLookup(Path.of("/proc")),
        mode);
  }

  private static ConnectionInfo toExample() {
    return ConnectionInfo.builder(Network.TCP).host("www.example.com").build();
  }

  @Test
  void ruleModeAsksTheRules() throws Exception {
    assertThat(router(TurnoutConfig.Mode.RULE).decide(toExample()).policy()).isEqualTo("REJECT");
  }

  @Test
  void globalAndDirectModesSendEverythingOneWayUntilSwitched() throws Exception {
    RuleRouter router = router(TurnoutConfig.Mode.GLOBAL);
    var route = router.decide(toExample());
    assertThat(route.policy()).isEqualTo("GLOBAL");
    assertThat(route.outbound()).isSameAs(global);
    assertThat(route.rule()).isEqualTo("(mode GLOBAL)");
    router.mode(TurnoutConfig.Mode.DIRECT);
    assertThat(router.mode()).isEqualTo(TurnoutConfig.Mode.DIRECT);
    assertThat(router.decide(toExample()).outbound()).isSameAs(direct);
    assertThat(router.mayBlock()).isFalse();
    router.mode(TurnoutConfig.Mode.RULE);
    assertThat(router.decide(toExample()).policy()).isEqualTo("REJECT");
  }

  private static RuleEngine rules(String... lines) throws Exception {
    return RuleEngine.builder()
        .rules(java.util.Arrays.stream(lines).map(l -> new RuleLine(l, "c.yaml", 1)).toList())
        .policies(Set.of("REJECT", "DIRECT", "GLOBAL"))
        .resolver(HostResolver.NONE)
        .build();
  }

  private RuleRouter inRuleMode(RuleEngine engine) {
    return new RuleRouter(
        engine,
        Map.of("REJECT", reject, "GLOBAL", global, "DIRECT", direct),
        new ProcessLookup(Path.of("/proc")),
        TurnoutConfig.Mode.RULE);
  }

  private static ConnectionInfo to(String host) {
    return ConnectionInfo.builder(Network.TCP).host(host).destination(null, 443).build();
  }

  @Test
  void aFirstPacketIsRoutedByTheModeOrTheRules() throws Exception {
    try (RuleEngine engine = rules("DOMAIN-SUFFIX,ads.test,REJECT", "MATCH,DIRECT")) {
      RuleRouter router = inRuleMode(engine);
      assertThat(router.quickRoute(() -> to("x.ads.test")).outbound()).isSameAs(reject);
      router.mode(TurnoutConfig.Mode.GLOBAL);
      var route = router.quickRoute(() -> to("x.ads.test"));
      assertThat(route.policy()).isEqualTo("GLOBAL");
      assertThat(route.outbound()).isSameAs(global);
      router.mode(TurnoutConfig.Mode.DIRECT);
      assertThat(router.quickRoute(() -> to("x.ads.test")).outbound()).isSameAs(direct);
    }
  }

  @Test
  void aRuleThatMayBlockLeavesTheFirstPacketUndecidedOnlyInRuleMode() throws Exception {
    try (RuleEngine engine = rules("IP-CIDR,192.0.2.0/24,REJECT", "MATCH,DIRECT")) {
      RuleRouter router = inRuleMode(engine);
      assertThat(router.mayBlock()).isTrue();
      assertThat(router.quickRoute(() -> to("www.example.test"))).isNull();
      router.mode(TurnoutConfig.Mode.GLOBAL);
      assertThat(router.mayBlock()).isFalse();
      assertThat(router.quickRoute(() -> to("www.example.test")).policy()).isEqualTo("GLOBAL");
    }
  }
}
