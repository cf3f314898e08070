package dev.turnout.outbound;

import dev.turnout.config.YamlMapping;
import dev.turnout.outbound.ConfigProblem.Section;
import dev.turnout.outbound.ConfigProblem.Severity;
import io.netty.channel.EventLoopGroup;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Builds the outbounds from Clash's {@code proxies:} and {@code proxy-groups:} lists, as the config
 * reader parses them (each entry with the line of every key). Every problem is collected, not
 * thrown: entries with errors are left out, the rest is built, and the caller decides whether
 * errors stop the start. Nothing is dialed here.
 *
 * <p>This file is long because it is the one place that knows every Clash key Turnout accepts.
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
  static final List<String> PROXY_TYPES = List.of("socks5", "http", "ss", "trojan", "vmess");
  static final List<String> GROUP_TYPES = List.of("select", "url-test", "fallback", "load-balance");
  static final List<String> VMESS_CIPHERS = List.of("auto", "aes-128-gcm", "chacha20-poly1305");
  static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(300);
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  private static final String PROXY_NAMES_KEY = "\0proxies";
  private static final Set<String> COMMON = Set.of("name", "type", "server", "port", "udp");

  private OutboundConfig() {}

  /** Parses both lists with the production scheduler and health check. */
  public static Result load(List<YamlMapping> proxies, List<YamlMapping> groups, Environment env) {
    return load(
        proxies,
        groups,
        env.dialer(),
        new SelectionStore(env.stateDirectory()),
        new HttpProber(env.loops()),
        new EventLoopScheduler(env.loops()),
        InstantSource.system());
  }

  static Result load(
      List<YamlMapping> proxies,
      List<YamlMapping> groups,
      Dialer dialer,
      SelectionStore store,
      Prober prober,
      Scheduler scheduler,
      InstantSource clock) {
    List<ConfigProblem> problems = new ArrayList<>();
    Map<String, Outbound> all = new LinkedHashMap<>();
    all.put(DirectOutbound.NAME, new DirectOutbound(dialer));
    all.put(RejectOutbound.REJECT, new RejectOutbound());
    all.put(RejectOutbound.REJECT_DROP, RejectOutbound.drop());
    List<Outbound> proxyList = new ArrayList<>();
    Set<String> taken = new HashSet<>();
    for (int i = 0; i < (proxies == null ? 0 : proxies.size()); i++) {
      Fields f = new Fields(Section.PROXIES, i, proxies.get(i), problems);
      if (!checkName(f, taken)) {
        continue;
      }
      Outbound o = proxy(f, dialer);
      if (o != null && !f.failed()) {
        if (o instanceof ProxyOutbound p) {
          p.configIndex = i;
        }
        all.put(o.name(), o);
        proxyList.add(o);
      }
    }
    List<CheckedGroup> checked = new ArrayList<>();
    List<Group> groupList =
        groups(
            groups == null ? List.of() : groups,
            taken,
            all,
            problems,
            store,
            prober,
            clock,
            checked);
    List<Outbound> everything = new ArrayList<>(all.values());
    SelectGroup global = new SelectGroup(Outbounds.GLOBAL, everything, store);
    all.put(Outbounds.GLOBAL, global);
    return new Result(
        new Outbounds(all, proxyList, groupList, global, checked, scheduler),
        List.copyOf(problems));
  }

  private static boolean checkName(Fields f, Set<String> taken) {
    if (f.name == null) {
      f.error("name", "missing; expected a non-empty string");
      return false;
    }
    if (RESERVED.contains(f.name)) {
      f.error("name", "\"" + f.name + "\" is a built-in policy; choose another name");
      return false;
    }
    if (!taken.add(f.name)) {
      f.error("name", "another proxy or group already has this name");
      return false;
    }
    return true;
  }

  private static Outbound proxy(Fields f, Dialer dialer) {
    String type = f.oneOf("type", PROXY_TYPES, null);
    if (type == null) {
      return null;
    }
    String server = f.string("server", true);
    int port = f.port("port");
    boolean udp = f.bool("udp", false);
    f.unsupported("dialer-proxy", "chained proxies are not supported");
    f.unsupported("plugin", "Shadowsocks plugins are not supported");
    f.unsupported("plugin-opts", "Shadowsocks plugins are not supported");
    f.unsupported("ws-opts", "only plain TCP transport is supported");
    f.unsupported("grpc-opts", "only plain TCP transport is supported");
    f.unsupported("h2-opts", "only plain TCP transport is supported");
    f.unsupported("reality-opts", "REALITY is not supported");
    String network = f.oneOf("network", List.of("tcp"), "tcp");
    Outbound o;
    switch (type) {
      case "socks5" -> {
        f.unknownKeys(with("username", "password", "tls", "skip-cert-verify"));
        if (f.bool("tls", false)) {
          f.error("tls", "SOCKS5 over TLS is not supported");
        }
        String user = f.string("username", false);
        String pass = f.string("password", false);
        if (user != null && user.length() > 255 || pass != null && pass.length() > 255) {
          f.error(user != null && user.length() > 255 ? "username" : "password", "longer than 255");
        }
        o = new Socks5Outbound(f.name, server, port, user, pass == null ? "" : pass, udp, dialer);
      }
      case "http" -> {
        f.unknownKeys(with("username", "password", "tls", "skip-cert-verify", "sni"));
        if (udp) {
          f.warn("udp", "an HTTP proxy cannot carry UDP; ignored");
        }
        boolean tls = f.bool("tls", false);
        String sni = f.string("sni", false);
        boolean skip = f.bool("skip-cert-verify", false);
        String user = f.string("username", false);
        String pass = f.string("password", false);
        o =
            new HttpOutbound(
                f.name,
                server,
                port,
                user,
                pass == null ? "" : pass,
                tls && server != null ? new Tls(sni != null ? sni : server, skip) : null,
                dialer);
      }
      case "ss" -> {
        f.unknownKeys(with("cipher", "password", "udp-over-tcp"));
        if (f.bool("udp-over-tcp", false)) {
          f.error("udp-over-tcp", "UDP over TCP is not supported");
        }
        String cipherName = f.oneOf("cipher", SsCipher.NAMES, null);
        String password = f.string("password", true);
        if (cipherName == null || password == null) {
          return null;
        }
        o =
            new ShadowsocksOutbound(
                f.name, server, port, SsCipher.byName(cipherName), password, udp, dialer);
      }
      case "trojan" -> {
        f.unknownKeys(with("password", "sni", "skip-cert-verify", "network", "alpn"));
        if (udp) {
          f.warn("udp", "UDP over Trojan is not supported; UDP through this proxy will fail");
        }
        String password = f.string("password", true);
        String sni = f.string("sni", false);
        boolean skip = f.bool("skip-cert-verify", false);
        List<String> alpn = f.strings("alpn", false);
        if (password == null || server == null) {
          return null;
        }
        Tls tls = new Tls(sni != null ? sni : server, skip, alpn.toArray(String[]::new));
        o = new TrojanOutbound(f.name, server, port, password, tls, dialer);
      }
      case "vmess" -> {
        f.unknownKeys(with("uuid", "alterId", "cipher", "network", "tls"));
        if (f.bool("tls", false)) {
          f.error("tls", "VMess over TLS is not supported");
        }
        if (udp) {
          f.warn("udp", "UDP over VMess is not supported; UDP through this proxy will fail");
        }
        String id = f.string("uuid", true);
        UUID uuid = null;
        if (id != null) {
          try {
            uuid = UUID.fromString(id);
          } catch (IllegalArgumentException e) {
            f.error("uuid", "expected a UUID like 3f9e2d1c-..., got \"" + id + "\"");
          }
        }
        if (f.integer("alterId", 0, 0, 65535) != 0) {
          f.error("alterId", "expected 0 (only VMess AEAD is supported)");
        }
        String cipher = f.oneOf("cipher", VMESS_CIPHERS, "auto");
        if (uuid == null) {
          return null;
        }
        o = new VmessOutbound(f.name, server, port, uuid, VmessOutbound.security(cipher), dialer);
      }
      default -> throw new IllegalStateException(type);
    }
    return "tcp".equals(network) ? o : null;
  }

  private static Set<String> with(String... keys) {
    Set<String> s = new HashSet<>(COMMON);
    s.addAll(List.of(keys));
    return s;
  }

  /** Builds the groups in dependency order; unknown members and cycles are errors. */
  private static List<Group> groups(
      List<YamlMapping> entries,
      Set<String> taken,
      Map<String, Outbound> all,
      List<ConfigProblem> problems,
      SelectionStore store,
      Prober prober,
      InstantSource clock,
      List<CheckedGroup> checked) {
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
      byName.put(f.name, f);
      membersOf.put(f.name, members);
    }
    // Names of proxies that were declared, so a group can tell "has errors" from "does not exist".
    membersOf.put(PROXY_NAMES_KEY, new ArrayList<>(taken));
    List<Group> built = new ArrayList<>();
    Map<String, Integer> state = new HashMap<>(); // 1 = building, 2 = done
    for (String name : byName.keySet()) {
      build(name, byName, membersOf, all, state, built, store, prober, clock, checked);
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
      SelectionStore store,
      Prober prober,
      InstantSource clock,
      List<CheckedGroup> checked) {
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
        if (!build(m, byName, membersOf, all, state, built, store, prober, clock, checked)) {
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
    Group g = group(f, members, store, prober, clock, checked);
    if (g == null || f.failed()) {
      return false;
    }
    all.put(name, g);
    built.add(g);
    return true;
  }

  private static Group group(
      Fields f,
      List<Outbound> members,
      SelectionStore store,
      Prober prober,
      InstantSource clock,
      List<CheckedGroup> checked) {
    String type = f.oneOf("type", GROUP_TYPES, null);
    if (type == null) {
      return null;
    }
    Set<String> known =
        new HashSet<>(
            Set.of("name", "type", "proxies", "url", "interval", "tolerance", "lazy", "timeout"));
    known.add("strategy");
    known.add("disable-udp");
    f.unknownKeys(known);
    if ("select".equals(type)) {
      return members.isEmpty() ? null : new SelectGroup(f.name, members, store);
    }
    boolean needsUrl = !"load-balance".equals(type);
    String url = f.string("url", needsUrl);
    URI uri = null;
    if (url != null) {
      try {
        uri = URI.create(url);
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
            || uri.getHost() == null) {
          f.error("url", "expected an http:// or https:// URL, got \"" + url + "\"");
        }
      } catch (IllegalArgumentException e) {
        f.error("url", "expected an http:// or https:// URL, got \"" + url + "\"");
      }
    }
    int interval = f.integer("interval", (int) DEFAULT_INTERVAL.toSeconds(), 1, 86_400);
    int timeout = f.integer("timeout", (int) DEFAULT_TIMEOUT.toMillis(), 1, 60_000);
    boolean lazy = f.bool("lazy", true);
    CheckedGroup.Check check =
        new CheckedGroup.Check(
            uri,
            Duration.ofSeconds(interval),
            Duration.ofMillis(Math.min(timeout, interval * 1000L)),
            lazy);
    if (members.isEmpty()) {
      return null;
    }
    CheckedGroup g;
    switch (type) {
      case "url-test" -> {
        int tolerance = f.integer("tolerance", 150, 0, 60_000);
        g = new UrlTestGroup(f.name, members, check, Duration.ofMillis(tolerance), prober, clock);
      }
      case "fallback" -> g = new FallbackGroup(f.name, members, check, prober, clock);
      case "load-balance" -> {
        String strategy =
            f.oneOf("strategy", List.of("consistent-hashing", "round-robin"), "consistent-hashing");
        g =
            new LoadBalanceGroup(
                f.name,
                members,
                check,
                "round-robin".equals(strategy)
                    ? LoadBalanceGroup.Strategy.ROUND_ROBIN
                    : LoadBalanceGroup.Strategy.CONSISTENT_HASHING,
                prober,
                clock);
      }
      default -> throw new IllegalStateException(type);
    }
    if (!"load-balance".equals(type) || url != null) {
      checked.add(g);
    }
    return g;
  }
}
