package dev.turnout.launcher;

import dev.turnout.controller.spi.ConnectionControl;
import dev.turnout.relay.Connections;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Router;
import dev.turnout.rules.ProcessInfo;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The controller's view of the relays' live connections: each flow's origin, inbound, route and
 * counters as dashboards show them. Reading the counters costs the data path nothing (they are
 * plain per-flow fields the relays add to). Chains are listed as mihomo lists them, from the
 * outbound that carries the flow back to the policy the rule named.
 *
 * <p>The process that owns each flow's socket is looked up off the caller's thread, for all new
 * flows of a snapshot at once ({@link ProcessLookup#ownersOf}), and kept while the flow lives: a
 * new flow shows its process from the next snapshot on. Nothing is looked up while no dashboard
 * asks. Thread-safe.
 */
final class LiveConnections implements ConnectionControl {
  private static final String RULE_SET = " via RULE-SET,";
  private static final int LOOKUP_BATCH = 1024;
  private static final ProcessInfo UNKNOWN = new ProcessInfo("", "");

  private final Connections connections;
  private final ProcessLookup lookup;
  private final Executor lookups;
  private final Map<String, ProcessInfo> processes = new ConcurrentHashMap<>();
  private final AtomicBoolean looking = new AtomicBoolean();

  LiveConnections(Connections connections, ProcessLookup lookup, Executor lookups) {
    this.connections = connections;
    this.lookup = lookup;
    this.lookups = lookups;
  }

  @Override
  public List<Connection> connections() {
    Collection<dev.turnout.relay.Connection> live = connections.snapshot();
    List<Connection> views = new ArrayList<>(live.size());
    Set<String> ids = new HashSet<>(live.size() * 2);
    List<dev.turnout.relay.Connection> unknown = new ArrayList<>();
    for (dev.turnout.relay.Connection c : live) {
      ProcessInfo process = processes.get(c.id());
      if (process == null) {
        process = UNKNOWN;
        if (unknown.size() < LOOKUP_BATCH) {
          unknown.add(c);
        }
      }
      views.add(view(c, process));
      ids.add(c.id());
    }
    processes.keySet().retainAll(ids);
    if (!unknown.isEmpty() && looking.compareAndSet(false, true)) {
      lookups.execute(() -> lookUp(unknown));
    }
    return views;
  }

  private void lookUp(List<dev.turnout.relay.Connection> flows) {
    try {
      List<InetSocketAddress> tcp = new ArrayList<>();
      List<InetSocketAddress> udp = new ArrayList<>();
      flows.forEach(c -> (c.origin().udp() ? udp : tcp).add(c.origin().source()));
      Map<InetSocketAddress, ProcessInfo> owners = lookup.ownersOf(tcp, udp);
      for (dev.turnout.relay.Connection c : flows) {
        processes.put(c.id(), owners.getOrDefault(c.origin().source(), UNKNOWN));
      }
    } finally {
      looking.set(false);
    }
  }

  static Connection view(dev.turnout.relay.Connection c, ProcessInfo process) {
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
        c.inbound().port(),
        c.inbound().user() == null ? "" : c.inbound().user(),
        o.host() == null || o.sniffed() ? "normal" : "fake-ip",
        process.name() == null ? "" : process.name(),
        process.path() == null ? "" : process.path(),
        c.upload(),
        c.download(),
        c.startMillis(),
        chain,
        rule[0],
        rule[1],
        o.sniffed() ? o.host() : "");
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
