package dev.turnout.outbound.config;

import dev.turnout.config.YamlMapping;
import dev.turnout.outbound.ConfigProblem;
import dev.turnout.outbound.ConfigProblem.Section;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.group.Group;
import dev.turnout.outbound.group.GroupConfig;
import dev.turnout.outbound.group.HealthCheck;
import dev.turnout.outbound.provider.ProxyFilter;
import dev.turnout.outbound.provider.ProxyProvider;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the groups of {@code proxy-groups:} in dependency order (a member group before the groups
 * that use it), reporting unknown members, unknown providers and cycles. A group's members are its
 * {@code proxies:}; with {@code include-all-proxies} (or {@code include-all}) also every proxy of
 * {@code proxies:} its filter keeps; and the proxies of the providers it names in {@code use:}
 * (every provider with {@code include-all-providers} or {@code include-all}) its filter keeps, kept
 * up to date by {@link GroupMembers}. One instance per configuration load; not thread-safe.
 */
final class GroupGraph {
  /** What one group entry asks for, read before anything is built. */
  private record Wants(
      Fields fields,
      List<String> names,
      List<ProxyProvider> providers,
      boolean includeAllProxies,
      ProxyFilter filter) {}

  private final Map<String, Outbound> all;
  private final List<Outbound> proxyList;
  private final Set<String> declaredProxies;
  private final Map<String, ProxyProvider> providers;
  private final GroupConfig config;
  private final Map<String, Wants> wants = new LinkedHashMap<>();
  private final Map<String, Integer> state = new HashMap<>(); // 1 = building, 2 = done
  private final List<Group> built = new ArrayList<>();

  /**
   * @param all every outbound built so far by name; groups are added to it
   * @param proxyList the proxies of {@code proxies:} that were built, in order
   * @param declaredProxies the names of every entry of {@code proxies:}, errors or not
   */
  GroupGraph(
      Map<String, Outbound> all,
      List<Outbound> proxyList,
      Set<String> declaredProxies,
      List<ProxyProvider> providers,
      GroupConfig config) {
    this.all = all;
    this.proxyList = proxyList;
    this.declaredProxies = Set.copyOf(declaredProxies);
    this.providers = new LinkedHashMap<>();
    providers.forEach(p -> this.providers.put(p.name(), p));
    this.config = config;
  }

  /** Reads and builds every group; returns them in dependency order. */
  List<Group> build(List<YamlMapping> entries, Set<String> taken, List<ConfigProblem> problems) {
    for (int i = 0; i < entries.size(); i++) {
      Fields f = new Fields(Section.PROXY_GROUPS, i, entries.get(i), problems);
      if (OutboundConfig.checkName(f, taken)) {
        wants.put(f.name(), read(f));
      }
    }
    for (String name : wants.keySet()) {
      build(name);
    }
    return built;
  }

  private Wants read(Fields f) {
    List<String> names = f.strings("proxies", false);
    boolean includeAll = f.bool("include-all", false);
    boolean allProxies = f.bool("include-all-proxies", false) || includeAll;
    boolean allProviders = f.bool("include-all-providers", false) || includeAll;
    List<ProxyProvider> used = new ArrayList<>();
    if (allProviders) {
      used.addAll(providers.values());
    } else {
      for (String p : f.strings("use", false)) {
        if (providers.containsKey(p)) {
          used.add(providers.get(p));
        } else {
          f.error("use", "no proxy provider named \"" + p + "\"");
        }
      }
    }
    ProxyFilter filter = ProxyFilter.ALL;
    try {
      filter =
          ProxyFilter.of(
              f.string("filter", false),
              f.string("exclude-filter", false),
              f.string("exclude-type", false));
    } catch (ProxyFilter.BadPattern e) {
      f.error(e.key(), e.getMessage());
    }
    boolean anySource = !names.isEmpty() || allProxies || allProviders || f.has("use");
    if (!anySource && !f.failed()) {
      f.error("proxies", "a group needs members: proxies, use or include-all");
    }
    return new Wants(f, names, used, allProxies, filter);
  }

  private boolean build(String name) {
    Integer s = state.get(name);
    if (s != null) {
      return s == 2 && all.containsKey(name);
    }
    state.put(name, 1);
    Wants w = wants.get(name);
    Fields f = w.fields();
    List<Outbound> fixed = new ArrayList<>();
    for (String m : w.names()) {
      if (wants.containsKey(m)) {
        if (state.get(m) != null && state.get(m) == 1) {
          f.error("proxies", "member \"" + m + "\" leads back to this group (a cycle)");
          continue;
        }
        if (!build(m)) {
          f.error("proxies", "member \"" + m + "\" is a group with errors");
          continue;
        }
      } else if (!all.containsKey(m) || Outbounds.GLOBAL.equals(m)) {
        f.error(
            "proxies",
            declaredProxies.contains(m)
                ? "member \"" + m + "\" is a proxy with errors"
                : "no proxy or group named \"" + m + "\"");
        continue;
      }
      fixed.add(all.get(m));
    }
    if (w.includeAllProxies()) {
      for (Outbound p : proxyList) {
        if (w.filter().accepts(p.name(), p.type())) {
          fixed.add(p);
        }
      }
    }
    state.put(name, 2);
    GroupMembers members = new GroupMembers(fixed, w.providers(), w.filter());
    Group g = config.read(f, members.members(), lentCheck(w.providers()));
    if (g == null && f.unavailable() != null && !f.failed()) {
      all.put(name, f.asUnavailable(f.string("type", false)));
      return true; // like an unavailable proxy: its groups and rules load, and skip or fail it
    }
    if (g == null || f.failed()) {
      return false;
    }
    all.put(name, g);
    built.add(g);
    return true;
  }

  /** The health check of the first provider that has one, for a group without its own url. */
  private static HealthCheck lentCheck(List<ProxyProvider> used) {
    for (ProxyProvider p : used) {
      if (p.spec().healthCheck() != null) {
        return p.spec().healthCheck();
      }
    }
    return null;
  }
}
