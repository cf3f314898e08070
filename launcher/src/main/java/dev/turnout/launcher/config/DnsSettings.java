package dev.turnout.launcher.config;

import dev.turnout.config.MappingReader;
import dev.turnout.config.Problems;
import dev.turnout.config.YamlNode;
import dev.turnout.config.YamlScalar;
import dev.turnout.config.YamlSequence;
import dev.turnout.fakedns.DomainFilter;
import dev.turnout.fakedns.DomainSets;
import dev.turnout.fakedns.FakeIpRules;
import dev.turnout.fakedns.FallbackFilter;
import dev.turnout.fakedns.NameserverPolicy;
import dev.turnout.fakedns.Upstream;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code dns:} keys that decide where queries go, beyond the fake-IP server itself: {@code
 * default-nameserver}, {@code fallback} with {@code fallback-filter}, {@code nameserver-policy},
 * {@code proxy-server-nameserver} (and its {@code -policy}), {@code direct-nameserver} with {@code
 * direct-nameserver-follow-policy}, {@code respect-rules}, {@code use-hosts} and {@code
 * use-system-hosts}; {@code cache-algorithm}, {@code prefer-h3}, {@code ipv6-timeout} and {@code
 * fake-ip-ttl} are accepted. Defaults are mihomo's. Server lists hold the entries Turnout can use;
 * an entry it cannot use is a warning when others remain and an error when none does, since the
 * names would then go to other servers than written.
 */
public record DnsSettings(
    List<String> defaultNameservers,
    List<String> fallback,
    Fallback fallbackFilter,
    List<PolicyEntry> nameserverPolicy,
    List<String> proxyServerNameservers,
    List<PolicyEntry> proxyServerPolicy,
    List<String> directNameservers,
    boolean directFollowPolicy,
    boolean respectRules,
    boolean useHosts,
    boolean useSystemHosts) {

  /** Nothing beyond {@code nameserver}: mihomo's defaults without fallback. */
  public static final DnsSettings NONE =
      new DnsSettings(
          List.of(),
          List.of(),
          Fallback.DEFAULT,
          List.of(),
          List.of(),
          List.of(),
          List.of(),
          false,
          false,
          true,
          true);

  /** {@code fallback-filter}: mihomo's defaults are {@code geoip: true}, {@code geoip-code: CN}. */
  public record Fallback(
      boolean geoip,
      String geoipCode,
      List<String> ipcidr,
      List<String> domain,
      List<String> geosite) {
    static final Fallback DEFAULT = new Fallback(true, "CN", List.of(), List.of(), List.of());
  }

  /** One {@code nameserver-policy} key as written, with its servers and where it is. */
  public record PolicyEntry(String key, List<String> servers, String file, int line) {}

  /** Checks syntax only: every set name is taken to exist (the rules know them later). */
  static final DomainSets ANY_SET = (kind, name) -> host -> false;

  /**
   * Reads the keys from the {@code dns:} section.
   *
   * @param geoipDatabase whether {@code geoip-database} is set (for {@code fallback-filter.geoip})
   * @param nameservers the usable {@code nameserver} entries
   */
  static DnsSettings read(MappingReader dns, boolean geoipDatabase, List<String> nameservers) {
    List<String> defaults = servers(dns, "default-nameserver", false);
    for (String spec : defaults) {
      if (Upstream.namesItsServer(spec)) {
        dns.problem(
            "default-nameserver",
            "'" + spec + "' is a name: default-nameserver must be IP addresses, it resolves names");
      }
    }
    List<String> fallback = servers(dns, "fallback", true);
    if (fallback.isEmpty() && dns.has("fallback-filter")) {
      dns.warning("fallback-filter", "ignored: there are no fallback servers");
    }
    Fallback filter = fallbackFilter(dns.mapping("fallback-filter"));
    if (filter.geoip() && !fallback.isEmpty() && !geoipDatabase) {
      dns.warning(
          "fallback-filter",
          "geoip is on (mihomo's default) but no geoip-database is set: every public address"
              + " counts as outside "
              + filter.geoipCode()
              + ", so fallback answers are used for them; set geoip-database or geoip: false");
    }
    List<PolicyEntry> policy = policy(dns, "nameserver-policy");
    List<String> proxyServer = servers(dns, "proxy-server-nameserver", false);
    List<PolicyEntry> proxyServerPolicy = policy(dns, "proxy-server-nameserver-policy");
    List<String> direct = servers(dns, "direct-nameserver", false);
    boolean follow = dns.bool("direct-nameserver-follow-policy", false);
    boolean respectRules = dns.bool("respect-rules", false);
    if (respectRules && proxyServer.isEmpty()) {
      dns.problem(
          "respect-rules",
          "needs proxy-server-nameserver (as in mihomo): the proxies' own names must resolve"
              + " without the rules, which may send DNS through those proxies");
    }
    boolean useHosts = dns.bool("use-hosts", true);
    boolean useSystemHosts = dns.bool("use-system-hosts", true);
    dns.choice("cache-algorithm", "lru", List.of("lru", "arc"));
    if (dns.bool("prefer-h3", false)) {
      dns.warning("prefer-h3", "HTTP/3 is not supported: DNS over HTTPS uses HTTP/2 (or HTTP/1.1)");
    }
    if (dns.has("ipv6-timeout")) {
      dns.integer("ipv6-timeout", 100, 0, Integer.MAX_VALUE);
      dns.warning(
          "ipv6-timeout",
          "ignored: DIRECT asks A and AAAA at once and waits at most 50 ms for AAAA after A");
    }
    if (dns.integer("fake-ip-ttl", 1, 1, Integer.MAX_VALUE) != 1) {
      dns.warning("fake-ip-ttl", "ignored: fake-IP answers always have TTL 1");
    }
    List<String> everyServer = new ArrayList<>(nameservers);
    everyServer.addAll(fallback);
    everyServer.addAll(proxyServer);
    everyServer.addAll(direct);
    policy.forEach(p -> everyServer.addAll(p.servers()));
    proxyServerPolicy.forEach(p -> everyServer.addAll(p.servers()));
    defaults = bootstrap(dns, defaults, everyServer, nameservers, fallback);
    return new DnsSettings(
        defaults,
        fallback,
        filter,
        policy,
        proxyServer,
        proxyServerPolicy,
        direct,
        follow,
        respectRules,
        useHosts,
        useSystemHosts);
  }

  /**
   * {@code default-nameserver}, or when it is not set but some server is given by name, the plain
   * IP entries of {@code nameserver} and {@code fallback} (mihomo would use public resolvers of its
   * own choosing; Turnout uses only servers the file names), with a warning.
   */
  private static List<String> bootstrap(
      MappingReader dns,
      List<String> defaults,
      List<String> everyServer,
      List<String> nameservers,
      List<String> fallback) {
    List<String> named = everyServer.stream().filter(Upstream::namesItsServer).toList();
    if (named.isEmpty() || !defaults.isEmpty()) {
      return defaults;
    }
    List<String> literal = new ArrayList<>();
    for (String spec : concat(nameservers, fallback)) {
      if (!Upstream.namesItsServer(spec)
          && Upstream.outboundOf(spec) == null
          && !spec.toLowerCase(java.util.Locale.ROOT).startsWith("rcode:")) {
        literal.add(spec);
      }
    }
    if (literal.isEmpty()) {
      dns.problem(
          "default-nameserver",
          "servers are given by name ("
              + String.join(", ", named)
              + "): set default-nameserver to IP servers that resolve them");
    } else {
      dns.warning(
          "default-nameserver",
          "not set: the servers given by name ("
              + String.join(", ", named)
              + ") are resolved through "
              + String.join(", ", literal));
    }
    return List.copyOf(literal);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /**
   * The usable entries of the server list {@code key}; each unusable one is a warning, and an error
   * when {@code required} (the list must keep a server) and none is left.
   */
  static List<String> servers(MappingReader section, String key, boolean required) {
    Problems problems = section.problems();
    String path = section.qualified(key);
    List<YamlScalar> written = section.scalars(key);
    List<String> usable = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    for (YamlScalar server : written) {
      if (check(problems, server, path, server.text(), reasons)) {
        usable.add(server.text().strip());
      }
    }
    if (usable.isEmpty() && !written.isEmpty()) {
      String message =
          "no server Turnout can use is left ("
              + String.join("; ", reasons)
              + (required ? ")" : "); the key is ignored");
      if (required) {
        problems.error(section.keyAt(key), path, message);
      } else {
        problems.warning(section.keyAt(key), path, message);
      }
    }
    return List.copyOf(usable);
  }

  /** Records a warning per ignored part; false (with a warning) when the entry is unusable. */
  private static boolean check(
      Problems problems, YamlNode at, String path, String spec, List<String> reasons) {
    try {
      for (String warning : Upstream.check(spec)) {
        problems.warning(at, path, spec + ": " + warning);
      }
      return true;
    } catch (IllegalArgumentException e) {
      problems.warning(at, path, e.getMessage() + "; this server is left out");
      reasons.add(e.getMessage());
      return false;
    }
  }

  private static Fallback fallbackFilter(MappingReader filter) {
    boolean geoip = filter.bool("geoip", true);
    String code = filter.string("geoip-code", "CN");
    List<String> ipcidr = new ArrayList<>();
    FallbackFilter.Builder check = FallbackFilter.builder();
    for (YamlScalar cidr : filter.scalars("ipcidr")) {
      try {
        check.ipcidr(cidr.text());
        ipcidr.add(cidr.text().strip());
      } catch (IllegalArgumentException e) {
        filter.problems().error(cidr, filter.qualified("ipcidr"), e.getMessage());
      }
    }
    List<String> domain = domains(filter, "domain");
    List<String> geosite = new ArrayList<>();
    for (YamlScalar s : filter.scalars("geosite")) {
      geosite.add(s.text().strip());
    }
    return new Fallback(geoip, code, List.copyOf(ipcidr), domain, List.copyOf(geosite));
  }

  /** {@code fake-ip-filter} as rules ({@code fake-ip-filter-mode: rule}), each checked. */
  static List<String> fakeIpRules(MappingReader section, String key) {
    return checked(section, key, rule -> FakeIpRules.of(List.of(rule), ANY_SET));
  }

  /** Domain patterns and set references (their names are checked when the rules load). */
  static List<String> domains(MappingReader section, String key) {
    return checked(section, key, pattern -> DomainFilter.of(List.of(pattern), ANY_SET));
  }

  /** The entries of {@code key} that {@code check} takes; the others are errors at their line. */
  private static List<String> checked(
      MappingReader section, String key, java.util.function.Consumer<String> check) {
    List<String> out = new ArrayList<>();
    for (YamlScalar entry : section.scalars(key)) {
      try {
        check.accept(entry.text());
        out.add(entry.text().strip());
      } catch (IllegalArgumentException e) {
        section.problems().error(entry, section.qualified(key), e.getMessage());
      }
    }
    return List.copyOf(out);
  }

  private static List<PolicyEntry> policy(MappingReader dns, String key) {
    MappingReader section = dns.mapping(key);
    List<PolicyEntry> entries = new ArrayList<>();
    for (String name : section.keys()) {
      YamlNode where = section.keyAt(name);
      List<YamlScalar> values = new ArrayList<>();
      if (section.value(name).orElse(null) instanceof YamlSequence) {
        values.addAll(section.scalars(name));
      } else {
        section.scalar(name).ifPresent(values::add);
      }
      String path = section.qualified(name);
      List<String> usable = new ArrayList<>();
      List<String> reasons = new ArrayList<>();
      for (YamlScalar v : values) {
        if (check(section.problems(), v, path, v.text(), reasons)) {
          usable.add(v.text().strip());
        }
      }
      if (usable.isEmpty()) {
        section
            .problems()
            .error(
                where,
                path,
                values.isEmpty()
                    ? "no server given"
                    : "no server Turnout can use ("
                        + String.join("; ", reasons)
                        + "): these names would go to other servers than written");
        continue;
      }
      try {
        NameserverPolicy.checkKey(name);
      } catch (IllegalArgumentException e) {
        section.problems().error(where, path, e.getMessage());
        continue;
      }
      entries.add(new PolicyEntry(name, List.copyOf(usable), where.file(), where.line()));
    }
    return List.copyOf(entries);
  }
}
