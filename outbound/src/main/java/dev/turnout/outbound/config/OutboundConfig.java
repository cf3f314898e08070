package dev.turnout.outbound.config;

import dev.turnout.config.YamlMapping;
import dev.turnout.netbase.InterfaceNames;
import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.ConfigProblem;
import dev.turnout.outbound.ConfigProblem.Section;
import dev.turnout.outbound.ConfigProblem.Severity;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.DnsOutbound;
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
import dev.turnout.outbound.provider.ProviderLoader;
import dev.turnout.outbound.provider.ProxyFilter;
import dev.turnout.outbound.provider.ProxyProvider;
import dev.turnout.outbound.provider.ProxyProviderSpec;
import dev.turnout.outbound.shadowsocks.ShadowsocksConfig;
import dev.turnout.outbound.socks.Socks5Config;
import dev.turnout.outbound.ssh.SshConfig;
import dev.turnout.outbound.trojan.TrojanConfig;
import dev.turnout.outbound.vless.VlessConfig;
import dev.turnout.outbound.vmess.VmessConfig;
import dev.turnout.outbound.wireguard.WireGuardConfig;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
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
  /**
   * What the outbounds need from the launcher. {@code dns} is where Turnout's DNS server listens
   * (TCP and UDP), for {@code type: dns} proxies; null when it does not run, which leaves such
   * proxies unavailable.
   */
  public record Environment(
      Dialer dialer, Path stateDirectory, EventLoopGroup loops, InetSocketAddress dns) {
    public Environment(Dialer dialer, Path stateDirectory, EventLoopGroup loops) {
      this(dialer, stateDirectory, loops, null);
    }
  }

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
          new VlessConfig(),
          new WireGuardConfig(),
          new SshConfig());

  /**
   * Clash and mihomo proxy types Turnout does not speak (those in {@link #PROXY_TYPES} excepted):
   * loaded as unavailable members, with a warning, so that the groups and rules that name them
   * still load.
   */
  static final Set<String> OTHER_TYPES =
      Set.of("ssr", "snell", "hysteria", "hysteria2", "tuic", "mieru", "anytls");

  private static final Set<String> COMMON =
      Set.of(
          "name",
          "type",
          "server",
          "port",
          "udp",
          "dialer-proxy",
          "interface-name",
          "routing-mark");

  /** The keys of a {@code type: direct} proxy, which has no server. */
  private static final Set<String> DIRECT_KEYS =
      Set.of("name", "type", "udp", "interface-name", "routing-mark");

  /** The keys of a {@code type: dns} proxy: Turnout's own DNS server is its server. */
  private static final Set<String> DNS_KEYS = Set.of("name", "type", "udp");

  private OutboundConfig() {}

  private static Map<String, ProxyType> byName(ProxyType... types) {
    Map<String, ProxyType> m = new LinkedHashMap<>();
    for (ProxyType t : types) {
      m.put(t.name(), t);
    }
    return m;
  }

  /**
   * Parses both lists and the providers (from what is on disk: copies of http providers are kept in
   * {@code proxy-providers} under the state directory) with the production scheduler and health
   * check. Nothing is downloaded or written; see {@link Outbounds#providers()} for that.
   */
  public static Result load(
      List<YamlMapping> proxies,
      List<YamlMapping> groups,
      List<ProxyProviderSpec> providers,
      Environment env) {
    return load(
        proxies,
        groups,
        providers,
        new ProviderLoader(providerDirectory(env.stateDirectory()), TimeSource.SYSTEM),
        env.dialer(),
        new SelectionStore(env.stateDirectory()),
        new HttpProber(env.loops()),
        new EventLoopScheduler(env.loops()),
        TimeSource.SYSTEM,
        env.dns());
  }

  /** Both lists without providers. */
  public static Result load(List<YamlMapping> proxies, List<YamlMapping> groups, Environment env) {
    return load(proxies, groups, List.of(), env);
  }

  /** Where copies of http proxy providers are kept under {@code stateDirectory}. */
  public static Path providerDirectory(Path stateDirectory) {
    return stateDirectory.resolve("proxy-providers");
  }

  static Result load(
      List<YamlMapping> proxies,
      List<YamlMapping> groups,
      Dialer dialer,
      SelectionStore store,
      Prober prober,
      Scheduler scheduler,
      TimeSource clock) {
    return load(proxies, groups, List.of(), null, dialer, store, prober, scheduler, clock, null);
  }

  /**
   * {@code loader} may be null when there are no providers; {@code dns}: see {@link Environment}.
   */
  static Result load(
      List<YamlMapping> proxies,
      List<YamlMapping> groups,
      List<ProxyProviderSpec> providerSpecs,
      ProviderLoader loader,
      Dialer dialer,
      SelectionStore store,
      Prober prober,
      Scheduler scheduler,
      TimeSource clock,
      InetSocketAddress dns) {
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
      Outbound o = proxy(f, dialer, dns);
      dialerProxies.read(f);
      if (o != null && !f.failed()) {
        if (o instanceof ProxyOutbound p) {
          p.configIndex(i);
        }
        all.put(o.name(), o);
        proxyList.add(o);
      }
    }
    List<ProxyProvider> providers = new ArrayList<>();
    for (ProxyProviderSpec spec : providerSpecs) {
      ProviderLoader.Content content = loader.read(spec);
      ProvidedProxies.Built built = ProvidedProxies.build(spec, content, dialer);
      problems.addAll(built.problems());
      providers.add(new ProxyProvider(spec, built.proxies(), content.origin(), content.fetched()));
    }
    GroupConfig groupConfig = new GroupConfig(store, prober, clock, dialer.routingMark());
    List<Group> groupList =
        new GroupGraph(all, proxyList, Set.copyOf(taken), providers, groupConfig)
            .build(groups == null ? List.of() : groups, taken, problems);
    for (String wrong : dialerProxies.resolve(all)) {
      proxyList.remove(all.remove(wrong)); // groups holding it keep it, unusable; the error stops
    }
    for (ProxyProviderSpec spec : providerSpecs) {
      if (spec.proxy() != null && !all.containsKey(spec.proxy())) {
        problems.add(
            new ConfigProblem(
                Severity.ERROR,
                Section.PROXY_PROVIDERS,
                0,
                spec.name(),
                "proxy",
                "no proxy or group named \"" + spec.proxy() + "\" to download through",
                spec.file(),
                spec.line()));
      }
    }
    SelectGroup global =
        groupConfig.select(
            Outbounds.GLOBAL,
            new GroupMembers(new ArrayList<>(all.values()), providers, ProxyFilter.ALL).members());
    all.put(Outbounds.GLOBAL, global);
    ProxyProviders running = new ProxyProviders(providers, loader, dialer, clock);
    return new Result(
        new Outbounds(
            all,
            proxyList,
            groupList,
            global,
            groupConfig.healthChecks(scheduler),
            running,
            groupConfig.looks()),
        List.copyOf(problems));
  }

  static boolean checkName(Fields f, Set<String> taken) {
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

  /** The outbound of one entry, or null; its problems are recorded in {@code f}. */
  static Outbound proxy(Fields f, Dialer dialer) {
    return proxy(f, dialer, null);
  }

  /** {@code dns}: see {@link Environment}. */
  static Outbound proxy(Fields f, Dialer dialer, InetSocketAddress dns) {
    String written = f.string("type", false);
    if ("dns".equals(written)) {
      f.unknownKeys(DNS_KEYS);
      if (dns == null) {
        f.unsupported(
            "type", "a dns proxy needs Turnout's DNS server, which is off (dns.enable: false)");
        return f.asUnavailable(written);
      }
      return new DnsOutbound(f.name(), dialer, dns);
    }
    if ("direct".equals(written)) {
      f.unknownKeys(DIRECT_KEYS);
      Dialer own = dialOptions(f, dialer);
      return f.unavailable() == null
          ? new DirectOutbound(f.name(), own, own != dialer)
          : f.asUnavailable(written);
    }
    if (written != null && !PROXY_TYPES.containsKey(written) && OTHER_TYPES.contains(written)) {
      f.unsupported("type", written + " is not supported by this version of Turnout");
      return f.asUnavailable(written);
    }
    String typeName = f.oneOf("type", List.copyOf(PROXY_TYPES.keySet()), null);
    if (typeName == null) {
      return null;
    }
    // WireGuard may give its server in a peers: list instead.
    boolean peers = "wireguard".equals(typeName) && f.has("peers");
    String server = peers ? null : f.string("server", true);
    int port = peers ? 0 : f.port("port");
    boolean udp = f.bool("udp", false);
    f.unsupported("reality-opts", "REALITY is not supported");
    if (f.unavailable() != null) {
      return f.asUnavailable(typeName);
    }
    Dialer own = dialOptions(f, dialer);
    if (f.unavailable() != null) {
      return f.asUnavailable(typeName);
    }
    ProxyType type = PROXY_TYPES.get(typeName);
    Set<String> known = new HashSet<>(COMMON);
    known.addAll(type.keys());
    f.unknownKeys(known);
    Outbound o = type.read(f, new ProxyType.Common(f.name(), server, port, udp), own);
    return f.unavailable() == null ? o : f.asUnavailable(typeName);
  }

  /**
   * The dialer of a proxy with mihomo's dial keys: {@code interface-name} binds its sockets to that
   * interface (as DIRECT's are bound to the top-level one); a {@code routing-mark} other than the
   * top-level one makes it unavailable, since Turnout's sockets all carry that one mark, the one
   * auto-route keeps out of the TUN.
   */
  private static Dialer dialOptions(Fields f, Dialer dialer) {
    if (f.has("routing-mark")
        && f.integer("routing-mark", 0, 0, Integer.MAX_VALUE) != dialer.routingMark()) {
      f.unsupported(
          "routing-mark",
          "a routing mark of its own is not supported: Turnout's sockets all carry the top-level"
              + " routing-mark, which auto-route keeps out of the TUN");
    }
    String device = f.string("interface-name", false);
    if (device == null) {
      return dialer;
    }
    if (!InterfaceNames.valid(device)) {
      f.error("interface-name", "not an interface name: \"" + device + "\"");
      return dialer;
    }
    return dialer.withInterface(device);
  }
}
