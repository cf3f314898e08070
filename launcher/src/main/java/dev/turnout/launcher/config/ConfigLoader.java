package dev.turnout.launcher.config;

import dev.turnout.config.KeyPolicy;
import dev.turnout.config.MappingReader;
import dev.turnout.config.Problems;
import dev.turnout.config.Severity;
import dev.turnout.config.YamlFile;
import dev.turnout.config.YamlNode;
import dev.turnout.config.YamlScalar;
import dev.turnout.config.YamlSequence;
import dev.turnout.fakedns.Hosts;
import dev.turnout.fakedns.SystemNameservers;
import dev.turnout.hostnet.MacSelection;
import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.InterfaceNames;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.Ipv4;
import dev.turnout.rules.ProviderSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a Clash-compatible YAML file into a {@link TurnoutConfig}. Every key is checked, and what a
 * key Turnout does not read means is decided per section by {@link KeyPolicy}: a warning with its
 * reason, as mihomo loads such files, unless ignoring the key would route traffic other than the
 * way the user wrote (then an error that says why).
 */
public final class ConfigLoader {
  private static final Logger log = LoggerFactory.getLogger(ConfigLoader.class);
  private static final Pattern DEVICE_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");
  public static final int DEFAULT_RELAY_PORT = 7890;
  public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/turnout");

  private ConfigLoader() {}

  /** The configuration in {@code file}; throws with every error found. Warnings are logged. */
  public static TurnoutConfig load(Path file) throws ConfigException {
    Problems problems = new Problems(file.toString());
    TurnoutConfig config = read(file, problems);
    return checked(config, problems);
  }

  /**
   * Reads {@code file} as far as it can, for {@code turnout check}: every problem goes to {@code
   * problems}, and a value with a problem is replaced by its default so that the rest (proxies,
   * rules) can still be checked. Null only when the file cannot be read or parsed at all.
   */
  public static TurnoutConfig read(Path file, Problems problems) {
    String name = file.toString();
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      problems.add(Severity.ERROR, name, 0, "", "no such file");
      return null;
    } catch (IOException e) {
      problems.add(Severity.ERROR, name, 0, "", "cannot read: " + e.getMessage());
      return null;
    }
    return read(name, file, text, problems);
  }

  /**
   * The configuration written in {@code text} (a reload's payload); {@code name} names it in
   * problems, and relative paths are taken from {@code file}'s directory.
   */
  public static TurnoutConfig parse(String name, Path file, String text) throws ConfigException {
    Problems problems = new Problems(name);
    return checked(read(name, file, text, problems), problems);
  }

  private static TurnoutConfig checked(TurnoutConfig config, Problems problems)
      throws ConfigException {
    if (problems.hasErrors()) {
      throw ConfigException.of(problems);
    }
    problems.sorted().forEach(p -> log.warn("{}", p));
    return config;
  }

  static TurnoutConfig read(String name, Path file, String text, Problems problems) {
    Optional<YamlNode> root = YamlFile.parse(name, text, problems);
    if (root.isEmpty()) {
      return null;
    }
    if (root.get() instanceof YamlScalar s && s.isNull()) {
      problems.add(Severity.ERROR, name, 1, "", "the file is empty");
      return null;
    }
    MappingReader top = MappingReader.of(root.get(), problems);
    String logLevel =
        top.choice("log-level", "info", List.of("silent", "error", "warning", "info", "debug"));
    TurnoutConfig.Mode mode = GeneralKeys.mode(top);
    GeneralKeys.findProcessMode(top);

    MappingReader dnsSection = top.mapping("dns");
    Cidr range = cidr(dnsSection, "fake-ip-range", "198.18.0.0/15");
    AddressPlan plan;
    try {
      plan = AddressPlan.of(range);
    } catch (IllegalArgumentException e) {
      dnsSection.problem("fake-ip-range", e.getMessage());
      plan = AddressPlan.of(AddressPlan.ipv4Range("198.18.0.0/15"));
    }
    int routingMark = top.integer("routing-mark", 0, 0, Integer.MAX_VALUE);
    TurnoutConfig.Tun tun = tun(top.mapping("tun"), routingMark);
    Ipv6Config ipv6 = Ipv6Config.read(top, dnsSection, tun.mtu()); // before dns() checks keys
    if (ipv6.plan() != null) {
      plan = plan.withIpv6(ipv6.plan());
    }
    TurnoutConfig.FakeDns fakeDns = fakeDns(top, dnsSection, ipv6);
    Path home = file.toAbsolutePath().getParent();
    // as mihomo finds them in its home directory, unless a key of Turnout's names them
    boolean geodataMode = top.bool("geodata-mode", false);
    Path geoip = path(top, "geoip-database", home, null);
    if (geoip == null) {
      geoip = RuleSettings.besideConfig(home, geodataMode ? "GeoIP.dat" : "Country.mmdb");
    }
    Path asn = path(top, "asn-database", home, null);
    if (asn == null) {
      asn = RuleSettings.besideConfig(home, "GeoLite2-ASN.mmdb");
    }
    TurnoutConfig.Dns dns = dns(dnsSection, range, plan, geoip != null);
    InboundSettings inbound = InboundSettings.read(top, home);
    SnifferSettings sniffer = SnifferSettings.read(top);
    tun = inbound.avoidingRelayPort(tun, top.mapping("tun").has("relay-port"));

    ControlSettings control = ControlSettings.read(top, home);
    Path stateDir = path(top, "state-dir", home, DEFAULT_STATE_DIR);
    List<TurnoutConfig.RuleLine> rules = new ArrayList<>();
    for (YamlScalar rule : top.scalars("rules")) {
      rules.add(new TurnoutConfig.RuleLine(rule.text(), name, rule.line()));
    }
    List<ProviderSpec> providers = RuleProviders.read(top.mapping("rule-providers"), home);
    checkAddressSets(top.mapping("tun"), providers);
    RuleSettings ruleSettings = RuleSettings.read(top, home, name);
    TurnoutConfig.Proxies proxies =
        new TurnoutConfig.Proxies(
            top.mappings("proxies"),
            top.mappings("proxy-groups"),
            top.string("interface-name", null),
            ProxyProviderSpecs.read(top.mapping("proxy-providers"), home));
    top.reportUnread(KeyPolicy.TOP_LEVEL);
    return new TurnoutConfig(
        file,
        logLevel,
        mode,
        dns,
        tun,
        plan,
        List.copyOf(rules),
        providers,
        new TurnoutConfig.Files(
            stateDir,
            geoip,
            asn,
            ruleSettings.geositeDatabase(),
            ruleSettings.geoxUrls(),
            geodataMode,
            ruleSettings.geoUpdateInterval()),
        proxies,
        fakeDns,
        inbound,
        ruleSettings.subRules(),
        control,
        sniffer);
  }

  private static TurnoutConfig.FakeDns fakeDns(
      MappingReader top, MappingReader dns, Ipv6Config ipv6) {
    String mode =
        dns.choice("fake-ip-filter-mode", "blacklist", List.of("blacklist", "whitelist", "rule"));
    String range6 = ipv6.fakeAaaa() ? ipv6.plan().range().toString() : null;
    Map<String, List<String>> hosts = new LinkedHashMap<>();
    MappingReader hostsSection = top.mapping("hosts");
    for (String name : hostsSection.keys()) {
      List<String> addresses = new ArrayList<>();
      if (hostsSection.value(name).orElse(null) instanceof YamlSequence) {
        hostsSection.scalars(name).forEach(a -> addresses.add(a.text()));
      } else {
        addresses.add(hostsSection.string(name, ""));
      }
      try {
        Hosts.of(Map.of(name, addresses));
        hosts.put(name, List.copyOf(addresses));
      } catch (IllegalArgumentException e) {
        hostsSection.problem(name, e.getMessage());
      }
    }
    boolean allowLan = top.bool("allow-lan", false);
    MappingReader profile = top.mapping("profile");
    boolean store = profile.bool("store-fake-ip", false);
    GeneralKeys.storeSelected(profile);
    profile.reportUnread(KeyPolicy.PROFILE);
    return new TurnoutConfig.FakeDns(mode, range6, Map.copyOf(hosts), allowLan, store);
  }

  private static TurnoutConfig.Dns dns(
      MappingReader section, Cidr range, AddressPlan plan, boolean geoipDatabase) {
    Problems problems = section.problems();
    boolean enable = section.bool("enable", true);
    section.choice("enhanced-mode", "fake-ip", List.of("fake-ip"));
    InetSocketAddress listen = new InetSocketAddress(plan.tunInetAddress(), 53);
    String listenText = section.string("listen", null);
    if (listenText != null) {
      try {
        listen = hostPort(listenText);
      } catch (IllegalArgumentException e) {
        section.problem("listen", e.getMessage());
      }
    }
    List<String> filter =
        "rule".equalsIgnoreCase(section.string("fake-ip-filter-mode", "blacklist").strip())
            ? DnsSettings.fakeIpRules(section, "fake-ip-filter")
            : DnsSettings.domains(section, "fake-ip-filter");
    List<String> nameservers = DnsSettings.servers(section, "nameserver", true);
    boolean written =
        section.value("nameserver").orElse(null) instanceof YamlSequence list
            && !list.items().isEmpty();
    if (enable && !written) {
      problems.error(
          section.keyAt("nameserver"),
          "dns.nameserver",
          "at least one upstream is needed, e.g. [\"192.0.2.53\"], or [system] for the servers"
              + " the host's resolver used before Turnout");
    } else if (!written) {
      // Turnout's DNS server is off, so the system's resolver is not Turnout: its own lookups
      // (proxy servers, names listeners' clients ask for) go where the system's go, as mihomo's
      nameservers = List.of("system");
      if (SystemNameservers.read().isEmpty()) {
        problems.error(
            section.keyAt("nameserver"),
            "dns.nameserver",
            "Turnout's own lookups need a nameserver: none is written, and "
                + SystemNameservers.RESOLV_CONF
                + " names none (write one, e.g. [\"192.0.2.53\"])");
      }
    }
    boolean systemResolver = section.bool("system-resolver", false);
    DnsSettings settings = DnsSettings.read(section, geoipDatabase, nameservers);
    section.reportUnread(KeyPolicy.DNS);
    return new TurnoutConfig.Dns(
        enable, listen, range, filter, nameservers, systemResolver, settings);
  }

  private static TurnoutConfig.Tun tun(MappingReader section, int routingMark) {
    Problems problems = section.problems();
    boolean enable = section.bool("enable", true);
    GeneralKeys.stack(section);
    String device = section.string("device", "turnout0");
    if (!DEVICE_NAME.matcher(device).matches()) {
      section.problem(
          "device",
          "expected an interface name of 1 to 15 letters, digits, '.', '-' or '_', got \""
              + device
              + "\"");
    }
    int mtu = section.integer("mtu", 65535, 576, 65535);
    int relayPort = section.integer("relay-port", DEFAULT_RELAY_PORT, 1, 65535);
    boolean autoRoute = section.bool("auto-route", false);
    boolean strictRoute = section.bool("strict-route", false);
    boolean hijackUdp = false;
    boolean hijackTcp = false;
    List<YamlScalar> oneAddress = new ArrayList<>();
    for (YamlScalar target : section.scalars("dns-hijack")) {
      switch (target.text().trim().toLowerCase(java.util.Locale.ROOT)) {
        case "any:53", "udp://any:53", "0.0.0.0:53", "udp://0.0.0.0:53" -> hijackUdp = true;
        case "tcp://any:53", "tcp://0.0.0.0:53" -> hijackTcp = true;
        default -> oneAddress.add(target);
      }
    }
    for (YamlScalar target : oneAddress) { // within any:53 of its protocol, it asks for no more
      boolean tcp = target.text().trim().toLowerCase(java.util.Locale.ROOT).startsWith("tcp://");
      if (!(tcp ? hijackTcp : hijackUdp) || !target.text().trim().endsWith(":53")) {
        problems.error(
            target,
            "tun.dns-hijack",
            "only any:53 and tcp://any:53 are supported, got \"" + target.text() + "\"");
      }
    }
    List<String> excludes = cidrs(section, "route-exclude-address", problems);
    List<String> routed = cidrs(section, "route-address", problems);
    List<String> srcPorts = GeneralKeys.portRanges(section, "exclude-src-port");
    List<String> dstPorts = GeneralKeys.portRanges(section, "exclude-dst-port");
    List<String> uids = GeneralKeys.uids(section, "exclude-uid");
    List<String> includedUids = GeneralKeys.uids(section, "include-uid");
    List<String> excludedInterfaces = interfaces(section, "exclude-interface", problems);
    List<String> includedInterfaces = interfaces(section, "include-interface", problems);
    if (!includedInterfaces.isEmpty() && !excludedInterfaces.isEmpty()) {
      section.problem(
          "include-interface",
          "conflicts with exclude-interface (as in mihomo and sing-box): write one of them");
    }
    List<String> includedMacs = macs(section, "include-mac-address", problems);
    List<String> excludedMacs = macs(section, "exclude-mac-address", problems);
    java.time.Duration udpTimeout = section.seconds("udp-timeout", 60, 1, 86400);
    boolean gso = section.bool("gso", true);
    boolean fastPath = section.bool("fast-path", true);
    Boolean directNat = section.has("direct-nat") ? section.bool("direct-nat", true) : null;
    if (autoRoute && routingMark == 0) {
      routingMark = 0x2022;
    }
    if (!autoRoute) {
      warnWithoutAutoRoute(section);
    }
    section.reportUnread(KeyPolicy.TUN);
    return new TurnoutConfig.Tun(
        enable,
        device,
        mtu,
        relayPort,
        autoRoute,
        strictRoute,
        hijackUdp,
        hijackTcp,
        List.copyOf(excludes),
        List.copyOf(uids),
        udpTimeout,
        routingMark,
        gso,
        fastPath,
        directNat,
        List.copyOf(routed),
        srcPorts,
        dstPorts,
        includedUids,
        List.copyOf(excludedInterfaces),
        names(section, "route-address-set"),
        names(section, "route-exclude-address-set"),
        List.copyOf(includedInterfaces),
        includedMacs,
        excludedMacs);
  }

  /** MAC addresses ({@code 02:00:5e:00:53:01}), lower case; a malformed one is an error. */
  private static List<String> macs(MappingReader section, String key, Problems problems) {
    List<String> macs = new ArrayList<>();
    for (YamlScalar mac : section.scalars(key)) {
      String text = mac.text().strip();
      if (MacSelection.MAC.matcher(text).matches()) {
        macs.add(text.toLowerCase(java.util.Locale.ROOT));
      } else {
        problems.error(mac, "tun." + key, "not a MAC address (six hex pairs, colons): " + text);
      }
    }
    return List.copyOf(macs);
  }

  private static List<String> interfaces(MappingReader section, String key, Problems problems) {
    List<String> names = new ArrayList<>();
    for (YamlScalar name : section.scalars(key)) {
      if (InterfaceNames.valid(name.text().strip())) {
        names.add(name.text().strip());
      } else {
        problems.error(name, "tun." + key, "not an interface name: " + name.text());
      }
    }
    return names;
  }

  private static List<String> names(MappingReader section, String key) {
    return section.scalars(key).stream().map(n -> n.text().strip()).toList();
  }

  /**
   * Each rule set named by {@code tun.route-address-set} or {@code tun.route-exclude-address-set}
   * must be an ipcidr rule provider: routes are made of CIDRs, and a set left out would capture, or
   * leave uncaptured, what the user routed otherwise.
   */
  private static void checkAddressSets(MappingReader tun, List<ProviderSpec> providers) {
    Map<String, ProviderSpec> byName = new LinkedHashMap<>();
    providers.forEach(p -> byName.putIfAbsent(p.name(), p));
    for (String key : List.of("route-address-set", "route-exclude-address-set")) {
      for (YamlScalar name : tun.scalars(key)) {
        ProviderSpec provider = byName.get(name.text().strip());
        if (provider == null) {
          tun.problems()
              .error(name, "tun." + key, "no rule provider named \"" + name.text().strip() + "\"");
        } else if (provider.behavior() != ProviderSpec.Behavior.IPCIDR) {
          tun.problems()
              .error(
                  name,
                  "tun." + key,
                  "rule provider "
                      + provider.name()
                      + " has behavior: "
                      + provider.behavior().toString().toLowerCase(java.util.Locale.ROOT)
                      + "; routes are made only from ipcidr providers");
        }
      }
    }
  }

  /** The TUN keys that narrow or widen auto-route's capture, and nothing else. */
  private static final List<String> AUTO_ROUTE_KEYS =
      List.of(
          "route-address",
          "inet4-route-address",
          "inet6-route-address",
          "route-exclude-address",
          "inet4-route-exclude-address",
          "inet6-route-exclude-address",
          "include-uid",
          "include-uid-range",
          "exclude-uid",
          "exclude-uid-range",
          "exclude-src-port",
          "exclude-src-port-range",
          "exclude-dst-port",
          "exclude-dst-port-range",
          "exclude-interface",
          "include-interface",
          "include-mac-address",
          "exclude-mac-address",
          "route-address-set",
          "route-exclude-address-set");

  /**
   * Says of each of {@link #AUTO_ROUTE_KEYS} written with a value that it does nothing without
   * auto-route (only the fake range is routed into the TUN then), as mihomo silently ignores it.
   */
  private static void warnWithoutAutoRoute(MappingReader section) {
    for (String key : AUTO_ROUTE_KEYS) {
      if (!section.scalars(key).isEmpty()) {
        section.warning(
            key, "has no effect without auto-route: only the fake-IP range is routed into the TUN");
      }
    }
  }

  /**
   * The CIDRs of {@code tun.KEY} and of mihomo's older {@code inet4-KEY} and {@code inet6-KEY},
   * host bits masked off (IPv4, or IPv6, which applies with IPv6 on); a bad one is an error.
   */
  private static List<String> cidrs(MappingReader section, String key, Problems problems) {
    List<YamlScalar> written = new ArrayList<>(section.scalars(key));
    written.addAll(section.scalars("inet4-" + key));
    written.addAll(section.scalars("inet6-" + key));
    List<String> cidrs = new ArrayList<>();
    for (YamlScalar cidr : written) {
      try {
        Cidr parsed = Cidr.parseMasking(cidr.text().trim());
        cidrs.add(IpLiterals.format(parsed.first()) + "/" + parsed.prefixLength());
      } catch (IllegalArgumentException e) {
        problems.error(cidr, "tun." + key, e.getMessage());
      }
    }
    return cidrs;
  }

  /** A path; relative ones are taken from the config file's directory, as Clash does. */
  static Path path(MappingReader section, String key, Path home, Path fallback) {
    String text = section.string(key, null);
    if (text == null) {
      return fallback;
    }
    try {
      return home.resolve(text).normalize();
    } catch (java.nio.file.InvalidPathException e) {
      section.problem(key, "not a valid path: " + e.getReason());
      return fallback;
    }
  }

  private static Cidr cidr(MappingReader section, String key, String fallback) {
    String text = section.string(key, fallback);
    try {
      return AddressPlan.ipv4Range(text);
    } catch (IllegalArgumentException e) {
      section.problem(key, e.getMessage());
      return AddressPlan.ipv4Range(fallback);
    }
  }

  /** {@code 198.18.0.1:53}, or {@code :53} for every IPv4 address. */
  static InetSocketAddress hostPort(String text) {
    int colon = text.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("expected ADDRESS:PORT such as 198.18.0.1:53");
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected ADDRESS:PORT such as 198.18.0.1:53");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1 to 65535");
    }
    String host = text.substring(0, colon);
    return new InetSocketAddress(
        host.isEmpty() ? Ipv4.address(0) : IpLiterals.parseIpv4(host), port);
  }
}
