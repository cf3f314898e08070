package dev.turnout.launcher;

import dev.turnout.config.Problems;
import dev.turnout.config.Severity;
import dev.turnout.fakedns.DnsResolver;
import dev.turnout.fakedns.DnsTransport;
import dev.turnout.fakedns.DomainFilter;
import dev.turnout.fakedns.DomainSets;
import dev.turnout.fakedns.FakeIpRules;
import dev.turnout.fakedns.FallbackFilter;
import dev.turnout.fakedns.GeoIp;
import dev.turnout.fakedns.Hosts;
import dev.turnout.fakedns.NameserverPolicy;
import dev.turnout.fakedns.SystemHosts;
import dev.turnout.fakedns.SystemNameservers;
import dev.turnout.fakedns.Upstream;
import dev.turnout.fakedns.UpstreamDialer;
import dev.turnout.hostnet.HostChanges;
import dev.turnout.launcher.config.AddressPlan;
import dev.turnout.launcher.config.DnsSettings;
import dev.turnout.launcher.config.TurnoutConfig;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the DNS side of a configuration: one {@link DnsTransport} (the routing mark, and the
 * outbounds for {@code #PROXY} servers and {@code respect-rules}), the {@code default-nameserver}
 * group that resolves servers given by name, one group per server list, and three {@link
 * DnsResolver}s: the main one ({@code nameserver-policy}, {@code nameserver}, {@code fallback}),
 * the one for proxy servers' names ({@code proxy-server-nameserver} and its policy) and the one for
 * DIRECT connections ({@code direct-nameserver}, with the policy when {@code
 * direct-nameserver-follow-policy}); the last two are the main one when not configured. Also the
 * {@code hosts} the fake-IP server answers from and the {@code fake-ip-filter}.
 */
final class DnsAssembly {
  private static final Logger log = LoggerFactory.getLogger(DnsAssembly.class);
  static final Path SYSTEM_HOSTS = Path.of("/etc/hosts");

  private final TurnoutConfig config;
  private final DnsSettings settings;
  private final DnsTransport transport;
  private final Upstream bootstrap;
  private final List<Upstream> lists = new ArrayList<>(); // nameserver, fallback, proxy, direct
  private final List<Upstream> groups = new ArrayList<>(); // every group, policies' included
  private final DnsResolver main;
  private final DnsResolver proxyServers;
  private final DnsResolver direct;
  private final DialingResolver dialing;
  private final Hosts answerHosts;
  private final DomainFilter fakeIpFilter;

  private DnsAssembly(
      TurnoutConfig config, DomainSets sets, GeoIp geoip, UpstreamDialer dialer, Closer onStop)
      throws IOException {
    this.config = config;
    this.settings = config.dns().settings();
    AddressPlan plan = config.plan();
    this.transport =
        onStop.add(
            DnsTransport.builder()
                .soMark(config.tun().routingMark())
                .dialer(dialer)
                .ownServer(config.dns().enable() ? config.dns().listen() : null)
                .systemNameservers(() -> systemNameservers(config))
                .build());
    List<String> defaults = settings.defaultNameservers();
    this.bootstrap = defaults.isEmpty() ? null : group(defaults, null);
    String via = settings.respectRules() ? UpstreamDialer.RULES : null;
    Map<String, List<String>> system = Map.of();
    if (settings.useSystemHosts()) {
      system = SystemHosts.read(SYSTEM_HOSTS, Ipv6Parts.ownRange(plan));
    }
    Hosts dialingHosts = Hosts.of(merged(system, config.fakeDns().hosts()));
    this.answerHosts =
        Hosts.of(merged(system, settings.useHosts() ? config.fakeDns().hosts() : Map.of()));
    NameserverPolicy policy = policy(settings.nameserverPolicy(), sets, via);
    DnsResolver.Builder mainBuilder =
        resolver(listed(group(config.dns().nameservers(), via)), policy, dialingHosts);
    if (!settings.fallback().isEmpty()) {
      mainBuilder.fallback(listed(group(settings.fallback(), via)), filter(sets, geoip));
    }
    this.main = mainBuilder.build();
    this.proxyServers =
        settings.proxyServerNameservers().isEmpty()
            ? main
            : resolver(
                    listed(group(settings.proxyServerNameservers(), null)),
                    policy(settings.proxyServerPolicy(), sets, null),
                    dialingHosts)
                .build();
    this.direct =
        settings.directNameservers().isEmpty()
            ? main
            : resolver(
                    listed(group(settings.directNameservers(), null)),
                    settings.directFollowPolicy() ? policy : NameserverPolicy.NONE,
                    dialingHosts)
                .build();
    this.dialing = new DialingResolver(proxyServers, direct);
    this.fakeIpFilter =
        "rule".equals(config.fakeDns().filterMode())
            ? DomainFilter.of(FakeIpRules.of(config.dns().fakeIpFilter(), sets))
            : DomainFilter.of(config.dns().fakeIpFilter(), sets);
  }

  /**
   * Builds the DNS side; {@code onStop} gets what must be closed.
   *
   * @param geoip the country database for {@code fallback-filter.geoip}, {@link GeoIp#NONE} without
   *     one
   * @throws IllegalArgumentException when a set reference, a policy key or a server cannot be used
   * @throws IOException when the system hosts file cannot be read
   */
  static DnsAssembly create(
      TurnoutConfig config,
      DomainSets sets,
      GeoIp geoip,
      UpstreamDialer dialer,
      Consumer<Closeable> onStop)
      throws IOException {
    return new DnsAssembly(config, sets, geoip, dialer, new Closer(onStop));
  }

  /** Hands each part to {@code onStop} as soon as it exists. */
  private record Closer(Consumer<Closeable> onStop) {
    <T extends Closeable> T add(T part) {
      onStop.accept(part);
      return part;
    }
  }

  private Upstream listed(Upstream group) {
    lists.add(group);
    return group;
  }

  private Upstream group(List<String> servers, String via) {
    Upstream.Builder b =
        Upstream.builder(servers)
            .transport(transport)
            .forbiddenRange(config.plan().range().firstIpv4(), config.plan().range().lastIpv4());
    if (bootstrap != null) {
      b.bootstrap(bootstrap);
    }
    if (via != null) {
      b.via(via);
    }
    Upstream built = b.build();
    groups.add(built);
    return built;
  }

  private DnsResolver.Builder resolver(Upstream servers, NameserverPolicy policy, Hosts hosts) {
    return Ipv6Parts.resolving(
        config.plan(),
        DnsResolver.builder(servers)
            .policy(policy)
            .hosts(hosts)
            .forbiddenRange(config.plan().range().firstIpv4(), config.plan().range().lastIpv4()));
  }

  private NameserverPolicy policy(
      List<DnsSettings.PolicyEntry> entries, DomainSets sets, String via) {
    NameserverPolicy.Builder b = NameserverPolicy.builder(sets);
    for (DnsSettings.PolicyEntry e : entries) {
      try {
        b.add(e.key(), group(e.servers(), via));
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(
            e.file()
                + ":"
                + e.line()
                + ": dns.nameserver-policy '"
                + e.key()
                + "': "
                + ex.getMessage(),
            ex);
      }
    }
    return b.build();
  }

  private FallbackFilter filter(DomainSets sets, GeoIp geoip) {
    DnsSettings.Fallback f = settings.fallbackFilter();
    FallbackFilter.Builder b = FallbackFilter.builder(sets);
    if (f.geoip()) {
      b.geoip(f.geoipCode(), geoip);
      geoip.inCountry(InetAddress.getLoopbackAddress(), f.geoipCode()); // loads it now
    }
    f.ipcidr().forEach(b::ipcidr);
    f.domain().forEach(b::domain);
    f.geosite().forEach(b::geosite);
    return b.build();
  }

  /**
   * What {@code turnout check} can tell about the DNS keys beyond their syntax: that every {@code
   * geosite:} and {@code rule-set:} reference finds its set, and every server's {@code #PROXY}
   * names a proxy or group.
   */
  static void check(TurnoutConfig config, Set<String> policies, Problems problems) {
    DnsSettings settings = config.dns().settings();
    String file = config.file().toString();
    try (RuleSets sets = new RuleSets(config)) {
      List<String> references = new ArrayList<>();
      for (String entry : config.dns().fakeIpFilter()) {
        if (!"rule".equals(config.fakeDns().filterMode())) {
          references.add(entry);
        } else if (entry.regionMatches(true, 0, "RULE-SET,", 0, 9)) {
          references.add("rule-set:" + entry.split(",")[1].strip());
        }
      }
      references.addAll(settings.fallbackFilter().domain());
      settings.fallbackFilter().geosite().forEach(g -> references.add("geosite:" + g));
      for (String entry : references) {
        checkSets(entry, sets, problems, file, 0);
      }
      List<DnsSettings.PolicyEntry> keys = new ArrayList<>(settings.nameserverPolicy());
      keys.addAll(settings.proxyServerPolicy());
      List<String> servers = new ArrayList<>(config.dns().nameservers());
      for (DnsSettings.PolicyEntry e : keys) {
        checkSets(e.key(), sets, problems, e.file(), e.line());
        servers.addAll(e.servers());
      }
      servers.addAll(settings.fallback());
      servers.addAll(settings.proxyServerNameservers());
      servers.addAll(settings.directNameservers());
      for (String spec : servers) {
        String via = Upstream.outboundOf(spec);
        if (via != null
            && !policies.contains(via)
            && !dev.turnout.fakedns.UpstreamDialer.RULES.equals(via)) {
          // Clash wrote an interface there (tcp://1.1.1.1#en0); mihomo a proxy or group.
          problems.add(
              Severity.WARNING,
              file,
              0,
              "dns",
              spec
                  + ": no proxy or group named "
                  + via
                  + "; if it is an interface (Clash's form), it is ignored: the server is asked"
                  + " DIRECT");
        }
      }
    }
  }

  /**
   * What the {@code system} nameserver finds: the servers of the resolv.conf Turnout replaced while
   * it points the host at itself ({@code dns.system-resolver}), else of /etc/resolv.conf.
   */
  private static List<InetAddress> systemNameservers(TurnoutConfig config) {
    return HostChanges.replacedResolvConf(HostChanges.defaultStateDir(config.tun().device()))
        .map(SystemNameservers::of)
        .orElseGet(SystemNameservers::read);
  }

  private static void checkSets(
      String entry, DomainSets sets, Problems problems, String file, int line) {
    String lower = entry.toLowerCase(java.util.Locale.ROOT);
    if (!lower.contains("geosite:") && !lower.contains("rule-set:")) {
      return;
    }
    try {
      DomainFilter.of(List.of(entry), sets);
    } catch (IllegalArgumentException e) {
      problems.add(Severity.ERROR, file, line, "dns", e.getMessage());
    }
  }

  /** System entries first, the config's {@code hosts:} over them. */
  private static Map<String, List<String>> merged(
      Map<String, List<String>> system, Map<String, List<String>> config) {
    Map<String, List<String>> all = new LinkedHashMap<>(system);
    all.putAll(config);
    return all;
  }

  /** Empties every cache: of each server group and of each resolver's dialing lookups. */
  void clearCaches() {
    groups.forEach(Upstream::clearCache);
    for (DnsResolver r : List.of(main, proxyServers, direct)) {
      r.clearCache();
    }
  }

  /** The main resolver: the fake-IP server forwards to it, the rules resolve through it. */
  DnsResolver main() {
    return main;
  }

  /** The Dialer's resolver: proxy servers and DIRECT destinations. */
  DialingResolver dialing() {
    return dialing;
  }

  /** What the fake-IP server answers itself: {@code hosts:} and the system hosts file. */
  Hosts answerHosts() {
    return answerHosts;
  }

  DomainFilter fakeIpFilter() {
    return fakeIpFilter;
  }

  /** One line for the log: which lists are in use, with their servers as understood. */
  String describe() {
    List<String> parts = new ArrayList<>();
    int next = 0;
    parts.add("nameserver " + lists.get(next++));
    if (!settings.fallback().isEmpty()) {
      DnsSettings.Fallback f = settings.fallbackFilter();
      parts.add(
          "fallback "
              + lists.get(next++)
              + " (filter: "
              + (f.geoip() ? "geoip " + f.geoipCode() + ", " : "")
              + f.ipcidr().size()
              + " ipcidr, "
              + (f.domain().size() + f.geosite().size())
              + " domain)");
    }
    if (!settings.nameserverPolicy().isEmpty()) {
      parts.add(settings.nameserverPolicy().size() + " nameserver-policy keys");
    }
    if (proxyServers != main) {
      parts.add("proxy-server-nameserver " + lists.get(next++));
    }
    if (direct != main) {
      parts.add("direct-nameserver " + lists.get(next));
    }
    if (bootstrap != null) {
      parts.add("default-nameserver " + bootstrap);
    }
    if (settings.respectRules()) {
      parts.add(
          "respect-rules (TCP, DNS over TLS and HTTPS follow the rules; plain servers are asked"
              + " over TCP through the outbound the rules pick)");
    }
    return String.join(", ", parts);
  }
}
