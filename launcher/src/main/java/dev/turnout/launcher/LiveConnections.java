package dev.turnout.launcher;

import dev.turnout.controller.spi.ConnectionControl;
import dev.turnout.relay.Connections;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Router;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The controller's view of the relays' live connections: each flow's origin, inbound, route and
 * counters as dashboards show them. Reading the counters costs the data path nothing (they are
 * plain per-flow fields the relays add to). Chains are listed as mihomo lists them, from the
 * outbound that carries the flow back to the policy the rule named. Thread-safe.
 */
final class LiveConnections implements ConnectionControl {
  private static final String RULE_SET = " via RULE-SET,";

  private final Connections connections;

  LiveConnections(Connections connections) {
    this.connections = connections;
  }

  @Override
  public List<Connection> connections() {
    Collection<dev.turnout.relay.Connection> live = connections.snapshot();
    List<Connection> views = new ArrayList<>(live.size());
    for (dev.turnout.relay.Connection c : live) {
      views.add(view(c));
    }
    return views;
  }

  static Connection view(dev.turnout.relay.Connection c) {
    Origin o = c.origin();
    List<String> chain = new ArrayList<>(c.chain());
    java.util.Collections.reverse(chain);
    String[] rule = rule(c.route());
    return new Connection(
        c.id(),
        o.udp() ? "udp" : "tcp",
        c.inbound().type(),
        o.source().getAddress().getHostAddress(),
        o.source().getPort(),
        o.realAddress() == null ? "" : o.realAddress().getHostAddress(),
        o.port(),
        o.host() == null ? "" : o.host(),
        c.inbound().name(),
        o.host() == null ? "normal" : "fake-ip",
        "",
        "",
        c.upload(),
        c.download(),
        c.startMillis(),
        chain,
        rule[0],
        rule[1]);
  }

  /**
   * The rule as mihomo names it: a match inside a rule set is {@code RuleSet} with the provider's
   * name; a decision without a rule (no rule matched, global or direct mode) has none.
   */
  static String[] rule(Router.Route route) {
    String source = route.source() == null ? "" : route.source();
    int via = source.indexOf(RULE_SET);
    if (via >= 0) {
      String set = source.substring(via + RULE_SET.length());
      int comma = set.indexOf(',');
      return new String[] {"RuleSet", comma < 0 ? set : set.substring(0, comma)};
    }
    String text = route.rule() == null ? "" : route.rule();
    if (text.isEmpty() || text.startsWith("(")) {
      return new String[] {"", ""};
    }
    RuleTexts.Parts parts = RuleTexts.split(text, false);
    return new String[] {parts.type(), parts.payload()};
  }

  @Override
  public boolean close(String id) {
    return connections.close(id);
  }

  @Override
  public int closeAll() {
    return connections.closeAll();
  }

  @Override
  public long uploadTotal() {
    return connections.uploadTotal();
  }

  @Override
  public long downloadTotal() {
    return connections.downloadTotal();
  }
}
