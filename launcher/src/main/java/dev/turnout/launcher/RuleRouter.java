package dev.turnout.launcher;

import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.config.Outbounds;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Router;
import dev.turnout.rules.ConnectionInfo;
import dev.turnout.rules.Decision;
import dev.turnout.rules.Network;
import dev.turnout.rules.RuleEngine;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Routes flows of one configuration ({@link Generation}) with the Clash rule engine, or, in global
 * and direct {@link RoutingMode mode}, to GLOBAL or DIRECT without asking it. The relay asks for
 * the flows {@link RuleFlowFilter} could not decide on their first packet (some rule resolves a
 * name or looks up the owning process); the filter asks {@link #quickRoute} itself.
 */
final class RuleRouter implements Router {
  private final RuleEngine rules;
  private final Map<String, Outbound> outbounds;
  private final ProcessLookup processes;
  private final RoutingMode mode;

  RuleRouter(
      RuleEngine rules,
      Map<String, Outbound> outbounds,
      ProcessLookup processes,
      RoutingMode mode) {
    this.rules = rules;
    this.outbounds = outbounds;
    this.processes = processes;
    this.mode = mode;
  }

  @Override
  public Route route(Origin origin) {
    RoutingMode.Mode now = mode.get();
    if (now != RoutingMode.Mode.RULE) {
      return modeRoute(now);
    }
    ConnectionInfo connection =
        ConnectionInfo.builder(origin.udp() ? Network.UDP : Network.TCP)
            .host(origin.host())
            .destination(origin.realAddress(), origin.port())
            .source(origin.source().getAddress(), origin.source().getPort())
            .process(() -> processes.ownerOf(origin.source()))
            .build();
    return routeOf(rules.decide(connection));
  }

  /**
   * The route of a flow's first packet, or null when deciding might block (rule mode, and some rule
   * resolves a name or looks up a process): the mode is read once, so a switch in between cannot
   * make the TUN loop wait for a lookup.
   */
  Route quickRoute(Supplier<ConnectionInfo> connection) {
    RoutingMode.Mode now = mode.get();
    if (now != RoutingMode.Mode.RULE) {
      return modeRoute(now);
    }
    return rules.mayBlock() ? null : routeOf(rules.decide(connection.get()));
  }

  /** The relay's view of a rule engine decision. */
  Route routeOf(Decision decision) {
    String source =
        decision.ruleSet() == null
            ? decision.source()
            : decision.source() + " via " + decision.ruleSet();
    return new Route(decision.policy(), decision.rule(), source, outbounds.get(decision.policy()));
  }

  private Route modeRoute(RoutingMode.Mode now) {
    String policy = now == RoutingMode.Mode.GLOBAL ? Outbounds.GLOBAL : DirectOutbound.NAME;
    return new Route(policy, "(mode " + now.label() + ")", "mode", outbounds.get(policy));
  }

  /** Only in rule mode, when some rule resolves a name or looks up the owning process. */
  @Override
  public boolean mayBlock() {
    return mode.get() == RoutingMode.Mode.RULE && rules.mayBlock();
  }
}
