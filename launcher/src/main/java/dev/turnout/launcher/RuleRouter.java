package dev.turnout.launcher;

import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.netbase.Neighbors;
import dev.turnout.outbound.Outbound;
import dev.turnout.relay.Inbound;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Router;
import dev.turnout.relay.Sniffer;
import dev.turnout.rules.ConnectionInfo;
import dev.turnout.rules.Decision;
import dev.turnout.rules.Network;
import dev.turnout.rules.RuleEngine;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Routes the flows of one configuration ({@link Generation}) with the Clash rule engine: the relay
 * asks for the flows {@link RuleFlowFilter} could not decide on their first packet because some
 * rule resolves a name or looks up the owning process; the filter asks {@link #quickRoute} itself.
 * In Global and Direct {@link TurnoutConfig.Mode mode} every flow goes to GLOBAL or DIRECT and the
 * rules are not consulted; the mode can be switched while Turnout runs (the controller), and a
 * reload starts from the file's. Thread-safe.
 */
final class RuleRouter implements Router {
  private final RuleEngine rules;
  private final Map<String, Outbound> outbounds;
  private final ProcessLookup processes;
  private final Neighbors neighbors;
  private final Sniffer sniffer;
  private volatile TurnoutConfig.Mode mode;

  RuleRouter(
      RuleEngine rules,
      Map<String, Outbound> outbounds,
      ProcessLookup processes,
      TurnoutConfig.Mode mode) {
    this(rules, outbounds, processes, null, mode, Sniffer.OFF);
  }

  /**
   * @param neighbors where SRC-MAC rules find a source's MAC address; null: nowhere (they never
   *     match)
   */
  RuleRouter(
      RuleEngine rules,
      Map<String, Outbound> outbounds,
      ProcessLookup processes,
      Neighbors neighbors,
      TurnoutConfig.Mode mode,
      Sniffer sniffer) {
    this.rules = rules;
    this.outbounds = outbounds;
    this.processes = processes;
    this.neighbors = neighbors;
    this.mode = mode;
    this.sniffer = sniffer;
  }

  @Override
  public Sniffer sniffer() {
    return sniffer;
  }

  /** Switches the mode for flows decided from now on. */
  void mode(TurnoutConfig.Mode mode) {
    this.mode = mode;
  }

  /** The mode new flows are decided in. */
  TurnoutConfig.Mode mode() {
    return mode;
  }

  /** The route of {@code connection} in the current mode. */
  Route decide(ConnectionInfo connection) {
    TurnoutConfig.Mode now = mode;
    if (now != TurnoutConfig.Mode.RULE) {
      return modeRoute(now);
    }
    return routeOf(rules.decide(connection));
  }

  /**
   * The route of a flow's first packet, or null when deciding might block (rule mode, and some rule
   * resolves a name or looks up a process): the mode is read once, so a switch in between cannot
   * make the TUN loop wait for a lookup.
   */
  Route quickRoute(Supplier<ConnectionInfo> connection) {
    TurnoutConfig.Mode now = mode;
    if (now != TurnoutConfig.Mode.RULE) {
      return modeRoute(now);
    }
    return rules.mayBlock() ? null : routeOf(rules.decide(connection.get()));
  }

  private Route modeRoute(TurnoutConfig.Mode now) {
    String policy = now == TurnoutConfig.Mode.GLOBAL ? "GLOBAL" : "DIRECT";
    return new Route(policy, "(mode " + now + ")", "mode", outbounds.get(policy));
  }

  @Override
  public Route route(Origin origin) {
    Inbound in = origin.inbound();
    ConnectionInfo connection =
        ConnectionInfo.builder(origin.udp() ? Network.UDP : Network.TCP)
            .host(origin.host())
            .destination(origin.realAddress(), origin.port())
            .source(origin.source().getAddress(), origin.source().getPort())
            .process(() -> processes.ownerOf(origin.udp(), origin.source()))
            .sourceMac(
                () -> neighbors == null ? null : neighbors.macOf(origin.source().getAddress()))
            .inbound(in.type(), in.name(), in.port())
            .inboundUser(in.user())
            .build();
    return decide(connection);
  }

  /** The relay's view of a rule engine decision. */
  Route routeOf(Decision decision) {
    String source =
        decision.ruleSet() == null
            ? decision.source()
            : decision.source() + " via " + decision.ruleSet();
    return new Route(
        decision.policy(),
        decision.rule(),
        source,
        outbounds.get(decision.policy()),
        LocalPermits.of(decision));
  }

  /** Only when some rule resolves a name or looks up the owning process, in rule mode. */
  @Override
  public boolean mayBlock() {
    return mode == TurnoutConfig.Mode.RULE && rules.mayBlock();
  }
}
