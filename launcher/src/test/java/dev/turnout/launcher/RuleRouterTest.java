package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.HostResolver;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.rules.ConnectionInfo;
import dev.turnout.rules.Network;
import dev.turnout.rules.RuleEngine;
import dev.turnout.rules.RuleLine;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The mode decides before the rules, and a first packet never waits for a lookup. */
class RuleRouterTest {
  private final Outbound reject = new RejectOutbound();
  private final Outbound global = new RejectOutbound();
  private final Outbound direct = RejectOutbound.drop();
  private final Map<String, Outbound> outbounds =
      Map.of("REJECT", reject, "GLOBAL", global, "DIRECT", direct);

  private RuleEngine rules(String... lines) throws Exception {
    return RuleEngine.builder()
        .rules(java.util.Arrays.stream(lines).map(l -> new RuleLine(l, "c.yaml", 1)).toList())
        .policies(Set.of("REJECT", "DIRECT", "GLOBAL"))
        .resolver(HostResolver.NONE)
        .build();
  }

  private static ConnectionInfo to(String host) {
    return ConnectionInfo.builder(Network.TCP).host(host).destination(null, 443).build();
  }

  @Test
  void globalAndDirectModesRouteWithoutTheRules() throws Exception {
    RoutingMode mode = new RoutingMode(RoutingMode.Mode.RULE);
    try (RuleEngine engine = rules("DOMAIN-SUFFIX,ads.test,REJECT", "MATCH,DIRECT")) {
      RuleRouter router =
          new RuleRouter(engine, outbounds, new ProcessLookup(Path.of("/proc")), mode);
      assertThat(router.quickRoute(() -> to("x.ads.test")).outbound()).isSameAs(reject);
      mode.set(RoutingMode.Mode.GLOBAL);
      var route = router.quickRoute(() -> to("x.ads.test"));
      assertThat(route.policy()).isEqualTo("GLOBAL");
      assertThat(route.outbound()).isSameAs(global);
      assertThat(route.rule()).isEqualTo("(mode global)");
      mode.set(RoutingMode.Mode.DIRECT);
      assertThat(router.quickRoute(() -> to("x.ads.test")).outbound()).isSameAs(direct);
    }
  }

  @Test
  void aRuleThatMayBlockLeavesTheFirstPacketUndecidedOnlyInRuleMode() throws Exception {
    RoutingMode mode = new RoutingMode(RoutingMode.Mode.RULE);
    try (RuleEngine engine = rules("IP-CIDR,192.0.2.0/24,REJECT", "MATCH,DIRECT")) {
      RuleRouter router =
          new RuleRouter(engine, outbounds, new ProcessLookup(Path.of("/proc")), mode);
      assertThat(router.mayBlock()).isTrue();
      assertThat(router.quickRoute(() -> to("www.example.test"))).isNull();
      mode.set(RoutingMode.Mode.GLOBAL);
      assertThat(router.mayBlock()).isFalse();
      assertThat(router.quickRoute(() -> to("www.example.test")).policy()).isEqualTo("GLOBAL");
    }
  }
}
