package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.launcher.config.TurnoutConfig;
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

/** The mode Turnout runs in decides before the rules do. */
class RuleRouterTest {
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
    assertThat(router.decide(toExample()).outbound()).isSameAs(direct);
    assertThat(router.mayBlock()).isFalse();
    router.mode(TurnoutConfig.Mode.RULE);
    assertThat(router.decide(toExample()).policy()).isEqualTo("REJECT");
  }
}
