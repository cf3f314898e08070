package dev.turnout.outbound.config;

import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.group.Members;
import dev.turnout.outbound.provider.ProxyFilter;
import dev.turnout.outbound.provider.ProxyProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where one group's members come from: the fixed ones (its {@code proxies:}, then with {@code
 * include-all-proxies} every proxy of {@code proxies:} its filter keeps), then the proxies of each
 * provider it uses that its filter keeps. Recomputed whenever one of those providers is refreshed,
 * and handed to the group as a whole; a name already taken is left out (the first wins).
 * Thread-safe: recomputing is serialised per group.
 */
final class GroupMembers {
  private final List<Outbound> fixed;
  private final List<ProxyProvider> providers;
  private final ProxyFilter filter;
  private final Members members;

  GroupMembers(List<Outbound> fixed, List<ProxyProvider> providers, ProxyFilter filter) {
    this.fixed = List.copyOf(fixed);
    this.providers = List.copyOf(providers);
    this.filter = filter;
    this.members = new Members(compute());
    providers.forEach(p -> p.onUpdate(this::recompute));
  }

  Members members() {
    return members;
  }

  private synchronized void recompute() {
    members.set(compute());
  }

  private List<Outbound> compute() {
    Map<String, Outbound> byName = new LinkedHashMap<>();
    fixed.forEach(o -> byName.putIfAbsent(o.name(), o));
    for (ProxyProvider p : providers) {
      for (Outbound o : p.proxies()) {
        if (filter.accepts(o.name(), o.type())) {
          byName.putIfAbsent(o.name(), o);
        }
      }
    }
    return new ArrayList<>(byName.values());
  }
}
