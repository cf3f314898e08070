package dev.turnout.outbound.config;

import dev.turnout.config.YamlMapping;
import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.ConfigProblem;
import dev.turnout.outbound.ConfigProblem.Section;
import dev.turnout.outbound.ConfigProblem.Severity;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyOutbound;
import dev.turnout.outbound.ProxyType;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.outbound.group.EventLoopScheduler;
import dev.turnout.outbound.group.Group;
import dev.turnout.outbound.group.GroupConfig;
import dev.turnout.outbound.group.HttpProber;
import dev.turnout.outbound.group.Prober;
import dev.turnout.outbound.group.Scheduler;
import dev.turnout.outbound.group.SelectGroup;
import dev.turnout.outbound.group.SelectionStore;
import dev.turnout.outbound.http.HttpConfig;
import dev.turnout.outbound.shadowsocks.ShadowsocksConfig;
import dev.turnout.outbound.socks.Socks5Config;
import dev.turnout.outbound.trojan.TrojanConfig;
import dev.turnout.outbound.vless.VlessConfig;
import dev.turnout.outbound.vmess.VmessConfig;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the outbounds from Clash's {@code proxies:} and {@code proxy-groups:} lists, as the config
 * reader parses them (each entry with the line of every key). Every problem is collected, not
 * thrown: entries with errors are left out, the rest is built, and the caller decides whether
 * errors stop the start. Nothing is dialed here.
 *
 * <p>This class reads the keys every entry shares and dispatches on {@code type}: each protocol
 * package reads its own keys (its {@link ProxyType}), and {@link GroupConfig} those of the group
 * types. Here groups are put in dependency order, with unknown members and cycles reported.
 */
public final class OutboundConfig {
  /** What the outbounds need from the launcher. */
  public record Environment(Dialer dialer, Path stateDirectory, EventLoopGroup loops) {}

  /** The registry and everything wrong with the configuration that produced it. */
  public record Result(Outbounds outbounds, List<ConfigProblem> problems) {
    public boolean hasErrors() {
      return problems.stream().anyMatch(p -> p.severity() == Severity.ERROR);
    }
  }

  static final Set<String> RESERVED =
      Set.of(
          DirectOutbound.NAME,
          RejectOutbound.REJECT,
          RejectOutbound.REJECT_DROP,
          Outbounds.GLOBAL,
          "PASS",
          "COMPATIBLE");

  /** The proxy types by their {@code type:} value, in the order error messages list them. */
  private static final Map<String, ProxyType> PROXY_TYPES =
      byName(
          new Socks5Config(),
          new HttpConfig(),
          new ShadowsocksConfig(),
          new TrojanConfig(),
          new VmessConfig(),
          new VlessConfig());

  private static final String PROXY_NAMES_KEY = "\0proxies";
  private static final Set<String> COMMON =
      Set.of("name", "type", "server", "port", "udp", "dialer-proxy");

  private OutboundConfig() {}

  private static Map<String, ProxyType> byName(ProxyType... types) {
    Map<String, ProxyType> m = new LinkedHashMap<>();
    for (ProxyType t : types) {
      m.put(t.name(), t);
    }
    return m;
  }

  /** Parses both lists with the production scheduler and health check. */
  public static Result load(List<YamlMapping> proxies, List<YamlMapping> groups, Environment env) {
    return load(
        proxies,
        groups,
        env.dialer(),
        new SelectionStore(env.stateDirectory()),
        new HttpProber(env.loops()),
        new EventLoopScheduler(env.loops()),
        TimeSource.SYSTEM);
  }

  static Result load(
      List<YamlMapping> proxies,
      List<YamlMapping> groups,
      Dialer dialer,
      SelectionStore store,
      Prober prober,
      Scheduler scheduler,
      TimeSource clock) {
    List<ConfigProblem> problems = new ArrayList<>();
    Map<String, Outbound> all = new LinkedHashMap<>();
    all.put(DirectOutbound.NAME, new DirectOutbound(dialer));
    all.put(RejectOutbound.REJECT, new RejectOutbound());
    all.put(RejectOutbound.REJECT_DROP, RejectOutbound.drop());
    List<Outbound> proxyList = new ArrayList<>();
    Set<String> taken = new HashSet<>();
    DialerProxies dialerProxies = new DialerProxies();
    for (int i = 0; i < (proxies == null ? 0 : proxies.size()); i++) {
      Fields f = new Fields(Section.PROXIES, i, proxies.get(i), problems);
      if (!checkName(f, taken)) {
        continue;
      }
      Outbound o = proxy(f, dialer);
      dialerProxies.read(f);
      if (o != null && !f.failed()) {
        if (o instanceof ProxyOutbound p) {
          p.configIndex(i);
        }
        all.put(o.name(), o);
        proxyList.add(o);
      }
    }
    GroupConfig groupConfig = new GroupConfig(store, prober, clock);
    List<Group> groupList =
        groups(groups == null ? List.of() : groups, taken, all, problems, groupConfig);
    for (String wrong : dialerProxies.resolve(all)) {
      proxyList.remove(all.remove(wrong)); // groups holding it keep it, unusable; the error stops
    }
    List<Outbound> everything = new ArrayList<>(all.values());
    SelectGroup global = groupConfig.select(Outbounds.GLOBAL, everything);
    all.put(Outbounds.GLOBAL, global);
    return new Result(
        new Outbounds(all, proxyList, groupList, global, groupConfig.healthChecks(scheduler)),
        List.copyOf(problems));
  }

  private static boolean checkName(Fields f, Set<String> taken) {
    if (f.name() == null) {
      f.error("name", "missing; expected a non-empty string");
      return false;
    }
    if (RESERVED.contains(f.name())) {
      f.error("name", "\"" + f.name() + "\" is a built-in policy; choose another name");
      return false;
    }
    if (!taken.add(f.name())) {
      f.error("name", "another proxy or group already has this name");
      return false;
    }
    return true;
  }

  private static Outbound proxy(Fields f, Dialer dialer) {
    String typeName = f.oneOf("type", List.copyOf(PROXY_TYPES.keySet()), null);
    if (typeName == null) {
      return null;
    }
    String server = f.string("server", true);
    int port = f.port("port");
    boolean udp = f.bool("udp", false);
    f.unsupported("reality-opts", "REALITY is not supported");
    ProxyType type = PROXY_TYPES.get(typeName);
    Set<String> known = new HashSet<>(COMMON);
    known.addAll(type.keys());
    f.unknownKeys(known);
    return type.read(f, new ProxyType.Common(f.name(), server, port, udp), dialer);
  }

  /** Builds the groups in dependency order; unknown members and cycles are errors. */
  private static List<Group> groups(
      List<YamlMapping> entries,
      Set<String> taken,
      Map<String, Outbound> all,
      List<ConfigProblem> problems,
      GroupConfig config) {
    Map<String, Fields> byName = new LinkedHashMap<>();
    Map<String, List<String>> membersOf = new HashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      Fields f = new Fields(Section.PROXY_GROUPS, i, entries.get(i), problems);
      if (!checkName(f, taken)) {
        continue;
      }
      f.unsupported("use", "proxy providers are not supported; list members under proxies");
      f.unsupported("filter", "filters need proxy providers, which are not supported");
      f.unsupported("include-all", "include-all is not supported; list members under proxies");
      List<String> members = f.strings("proxies", true);
      if (members.isEmpty() && !f.failed()) {
        f.error("proxies", "a group needs at least one member");
      }
      byName.put(f.name(), f);
      membersOf.put(f.name(), members);
    }
    // Names of proxies that were declared, so a group can tell "has errors" from "does not exist".
    membersOf.put(PROXY_NAMES_KEY, new ArrayList<>(taken));
    List<Group> built = new ArrayList<>();
    Map<String, Integer> state = new HashMap<>(); // 1 = building, 2 = done
    for (String name : byName.keySet()) {
      build(name, byName, membersOf, all, state, built, config);
    }
    return built;
  }

  private static boolean build(
      String name,
      Map<String, Fields> byName,
      Map<String, List<String>> membersOf,
      Map<String, Outbound> all,
      Map<String, Integer> state,
      List<Group> built,
      GroupConfig config) {
    Integer s = state.get(name);
    if (s != null) {
      return s == 2 && all.containsKey(name);
    }
    state.put(name, 1);
    Fields f = byName.get(name);
    List<Outbound> members = new ArrayList<>();
    for (String m : membersOf.get(name)) {
      if (byName.containsKey(m)) {
        if (state.get(m) != null && state.get(m) == 1) {
          f.error("proxies", "member \"" + m + "\" leads back to this group (a cycle)");
          continue;
        }
        if (!build(m, byName, membersOf, all, state, built, config)) {
          f.error("proxies", "member \"" + m + "\" is a group with errors");
          continue;
        }
      } else if (!all.containsKey(m) || Outbounds.GLOBAL.equals(m)) {
        f.error(
            "proxies",
            membersOf.containsKey(PROXY_NAMES_KEY) && membersOf.get(PROXY_NAMES_KEY).contains(m)
                ? "member \"" + m + "\" is a proxy with errors"
                : "no proxy or group named \"" + m + "\"");
        continue;
      }
      members.add(all.get(m));
    }
    state.put(name, 2);
    Group g = config.read(f, members);
    if (g == null || f.failed()) {
      return false;
    }
    all.put(name, g);
    built.add(g);
    return true;
  }
}
