package dev.turnout.launcher.config;

import dev.turnout.fakedns.DomainFilter;
import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.fakedns.Hosts;
import dev.turnout.fakedns.Upstream;
import dev.turnout.rules.ProviderSpec;
import java.io.IOException;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a Clash-compatible YAML file into a {@link TurnoutConfig}. Every key is checked: a key
 * Turnout does not understand is an error, because silently ignoring a key that changes behaviour
 * (say, {@code proxies:}) would route traffic other than the way the user wrote.
 */
public final class ConfigLoader {
  private static final Set<String> CLASH_TOP_LEVEL_UNSUPPORTED =
      Set.of(
          "port",
          "socks-port",
          "redir-port",
          "tproxy-port",
          "mixed-port",
          "bind-address",
          "external-controller",
          "external-ui",
          "secret",
          "proxies",
          "proxy-groups",
          "proxy-providers",
          "rule-providers",
          "experimental",
          "sniffer",
          "tunnels",
          "find-process-mode",
          "geodata-mode",
          "geox-url",
          "unified-delay",
          "tcp-concurrent",
          "global-client-fingerprint",
          "keep-alive-interval",
          "authentication",
          "lan-allowed-ips",
          "listeners");
  private static final Set<String> CLASH_DNS_UNSUPPORTED =
      Set.of(
          "default-nameserver",
          "fallback",
          "fallback-filter",
          "nameserver-policy",
          "use-hosts",
          "use-system-hosts",
          "prefer-h3",
          "respect-rules",
          "proxy-server-nameserver",
          "cache-algorithm",
          "direct-nameserver");
  private static final Set<String> CLASH_TUN_UNSUPPORTED =
      Set.of(
          "auto-detect-interface",
          "route-address",
          "include-uid",
          "inet4-address",
          "inet6-address",
          "gso-max-size",
          "endpoint-independent-nat",
          "auto-redirect",
          "file-descriptor");
  private static final Pattern DEVICE_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");
  public static final int DEFAULT_RELAY_PORT = 7890;
  public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/turnout");

  private ConfigLoader() {}

  public static TurnoutConfig load(Path file) throws ConfigException {
    String name = file.toString();
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConfigException(List.of(name + ": no such file"));
    } catch (IOException e) {
      throw new ConfigException(List.of(name + ": cannot read: " + e.getMessage()));
    }
    return parse(name, file, text);
  }

  static TurnoutConfig parse(String name, Path file, String text) throws ConfigException {
    Problems problems = new Problems(name);
    Node root;
    try (Reader reader = new java.io.StringReader(text)) {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(true); // reported with a line by YamlMapping instead
      root = new Yaml(options).compose(reader);
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
      throw new ConfigException(List.of(name + ":" + line + ": YAML syntax: " + e.getProblem()));
    } catch (YAMLException | IOException e) {
      throw new ConfigException(List.of(name + ": YAML syntax: " + e.getMessage()));
    }
    if (root == null) {
      throw new ConfigException(List.of(name + ":1: the file is empty"));
    }
    YamlMapping top = new YamlMapping(problems, "", root);
    String logLevel =
        top.choice("log-level", "info", List.of("silent", "error", "warning", "info", "debug"));
    top.choice("mode", "rule", List.of("rule"));
    if (top.bool("ipv6", false)) {
      problems.add(top.keyNode("ipv6"), "ipv6", "IPv6 is not supported yet; set it to false");
    }

    YamlMapping dnsSection = top.mapping("dns");
    Ipv4Cidr range = cidr(dnsSection, "fake-ip-range", "198.18.0.0/15", problems);
    AddressPlan plan;
    try {
      plan = AddressPlan.of(range);
    } catch (IllegalArgumentException e) {
      problems.add(
          dnsSection.value("fake-ip-range").orElse(null), "dns.fake-ip-range", e.getMessage());
      plan = AddressPlan.of(Ipv4Cidr.parse("198.18.0.0/15"));
    }
    TurnoutConfig.FakeDns fakeDns = fakeDns(top, dnsSection, problems); // before dns() checks keys
    TurnoutConfig.Dns dns = dns(dnsSection, range, plan, problems);
    int routingMark = top.integer("routing-mark", 0, 0, Integer.MAX_VALUE);
    TurnoutConfig.Tun tun = tun(top.mapping("tun"), routingMark, problems);

    Path home = file.toAbsolutePath().getParent();
    Path stateDir = path(top, "state-dir", home, DEFAULT_STATE_DIR);
    Path geoip = path(top, "geoip-database", home, null);
    Path asn = path(top, "asn-database", home, null);
    List<TurnoutConfig.RuleLine> rules = new ArrayList<>();
    for (YamlMapping.Scalar rule : top.scalars("rules")) {
      rules.add(new TurnoutConfig.RuleLine(rule.text(), name, rule.line()));
    }
    List<ProviderSpec> providers =
        RuleProviders.read(top.mapping("rule-providers"), home, problems);
    TurnoutConfig.Proxies proxies = proxies(top, text);
    top.rejectUnread(CLASH_TOP_LEVEL_UNSUPPORTED);
    problems.throwIfAny();
    return new TurnoutConfig(
        file,
        logLevel,
        dns,
        tun,
        plan,
        List.copyOf(rules),
        providers,
        new TurnoutConfig.Files(stateDir, geoip, asn),
        proxies,
        fakeDns);
  }

  private static TurnoutConfig.FakeDns fakeDns(
      YamlMapping top, YamlMapping dns, Problems problems) {
    String mode = dns.choice("fake-ip-filter-mode", "blacklist", List.of("blacklist", "whitelist"));
    String range6 = null;
    if (dns.bool("ipv6", false)) {
      range6 = dns.string("fake-ip-range6", "fdfe:dcba:9876::/64");
      try {
        FakeIpPool.ofCidr(range6);
      } catch (IllegalArgumentException e) {
        dns.problem("fake-ip-range6", e.getMessage());
      }
    } else if (dns.has("fake-ip-range6")) {
      dns.problem("fake-ip-range6", "only used with dns.ipv6: true");
    }
    Map<String, List<String>> hosts = new LinkedHashMap<>();
    YamlMapping hostsSection = top.mapping("hosts");
    for (String name : hostsSection.keys()) {
      List<String> addresses = new ArrayList<>();
      if (hostsSection.value(name).orElse(null) instanceof SequenceNode) {
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
    YamlMapping profile = top.mapping("profile");
    boolean store = profile.bool("store-fake-ip", false);
    profile.rejectUnread(Set.of("store-selected"));
    return new TurnoutConfig.FakeDns(mode, range6, Map.copyOf(hosts), allowLan, store);
  }

  private static TurnoutConfig.Dns dns(
      YamlMapping section, Ipv4Cidr range, AddressPlan plan, Problems problems) {
    boolean enable = section.bool("enable", true);
    section.choice("enhanced-mode", "fake-ip", List.of("fake-ip"));
    InetSocketAddress listen = new InetSocketAddress(plan.tunInetAddress(), 53);
    String listenText = section.string("listen", null);
    if (listenText != null) {
      try {
        listen = hostPort(listenText);
      } catch (IllegalArgumentException e) {
        problems.add(section.value("listen").orElse(null), "dns.listen", e.getMessage());
      }
    }
    List<String> filter = new ArrayList<>();
    for (YamlMapping.Scalar pattern : section.scalars("fake-ip-filter")) {
      try {
        DomainFilter.of(List.of(pattern.text()));
        filter.add(pattern.text());
      } catch (IllegalArgumentException e) {
        problems.add(pattern.line(), "dns.fake-ip-filter", e.getMessage());
      }
    }
    List<String> nameservers = new ArrayList<>();
    List<YamlMapping.Scalar> servers = section.scalars("nameserver");
    for (YamlMapping.Scalar server : servers) {
      try {
        Upstream.builder(List.of(server.text())).build();
        nameservers.add(server.text());
      } catch (IllegalArgumentException e) {
        problems.add(server.line(), "dns.nameserver", e.getMessage());
      }
    }
    if (enable && servers.isEmpty()) {
      problems.add(
          section.keyNode("nameserver"),
          "dns.nameserver",
          "at least one upstream is needed, e.g. [\"192.0.2.53\"]; the system resolver is never"
              + " used because it points at Turnout itself");
    }
    boolean systemResolver = section.bool("system-resolver", false);
    section.rejectUnread(CLASH_DNS_UNSUPPORTED);
    return new TurnoutConfig.Dns(
        enable, listen, range, List.copyOf(filter), List.copyOf(nameservers), systemResolver);
  }

  private static TurnoutConfig.Tun tun(YamlMapping section, int routingMark, Problems problems) {
    boolean enable = section.bool("enable", true);
    section.choice("stack", "system", List.of("system"));
    String device = section.string("device", "turnout0");
    if (!DEVICE_NAME.matcher(device).matches()) {
      problems.add(
          section.value("device").orElse(null),
          "tun.device",
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
    for (YamlMapping.Scalar target : section.scalars("dns-hijack")) {
      switch (target.text().trim().toLowerCase(java.util.Locale.ROOT)) {
        case "any:53", "udp://any:53", "0.0.0.0:53", "udp://0.0.0.0:53" -> hijackUdp = true;
        case "tcp://any:53", "tcp://0.0.0.0:53" -> hijackTcp = true;
        default ->
            problems.add(
                target.line(),
                "tun.dns-hijack",
                "only any:53 and tcp://any:53 are supported, got \"" + target.text() + "\"");
      }
    }
    List<String> excludes = new ArrayList<>();
    for (YamlMapping.Scalar cidr : section.scalars("route-exclude-address")) {
      try {
        Ipv4Cidr parsed = Ipv4Cidr.parse(cidr.text().trim());
        excludes.add(
            Ipv4Cidr.toAddress(parsed.first()).getHostAddress() + "/" + parsed.prefixLength());
      } catch (IllegalArgumentException e) {
        problems.add(cidr.line(), "tun.route-exclude-address", e.getMessage());
      }
    }
    List<String> uids = new ArrayList<>();
    for (YamlMapping.Scalar uid : section.scalars("exclude-uid")) {
      try {
        int value = Integer.parseInt(uid.text().trim());
        if (value < 0) {
          throw new NumberFormatException();
        }
        uids.add(value + "-" + value);
      } catch (NumberFormatException e) {
        problems.add(uid.line(), "tun.exclude-uid", "expected a user id, got " + uid.text());
      }
    }
    int udpTimeout = section.integer("udp-timeout", 60, 1, 86400);
    boolean gso = section.bool("gso", true);
    boolean fastPath = section.bool("fast-path", true);
    if (autoRoute && routingMark == 0) {
      routingMark = 0x2022;
    }
    section.rejectUnread(CLASH_TUN_UNSUPPORTED);
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
        java.time.Duration.ofSeconds(udpTimeout),
        routingMark,
        gso,
        fastPath);
  }

  /**
   * The proxy lists as plain values (SnakeYAML's own loading of the same text), plus the line of
   * each entry from the node tree; the outbound module checks the fields.
   */
  @SuppressWarnings("unchecked")
  private static TurnoutConfig.Proxies proxies(YamlMapping top, String text) {
    List<Integer> proxyLines = lines(top.mappings("proxies"));
    List<Integer> groupLines = lines(top.mappings("proxy-groups"));
    String interfaceName = top.string("interface-name", null);
    if (proxyLines.isEmpty() && groupLines.isEmpty()) {
      return new TurnoutConfig.Proxies(List.of(), List.of(), List.of(), List.of(), interfaceName);
    }
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(true);
    Map<String, Object> plain = new Yaml(options).load(text);
    return new TurnoutConfig.Proxies(
        onlyMappings((List<Object>) plain.get("proxies")),
        proxyLines,
        onlyMappings((List<Object>) plain.get("proxy-groups")),
        groupLines,
        interfaceName);
  }

  private static List<Integer> lines(List<Node> nodes) {
    return nodes.stream().map(n -> n.getStartMark().getLine() + 1).toList();
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> onlyMappings(List<Object> items) {
    if (items == null) {
      return List.of();
    }
    return items.stream()
        .filter(Map.class::isInstance)
        .map(item -> (Map<String, Object>) item)
        .toList();
  }

  /** A path; relative ones are taken from the config file's directory, as Clash does. */
  private static Path path(YamlMapping section, String key, Path home, Path fallback) {
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

  private static Ipv4Cidr cidr(
      YamlMapping section, String key, String fallback, Problems problems) {
    String text = section.string(key, fallback);
    try {
      return Ipv4Cidr.parse(text);
    } catch (IllegalArgumentException e) {
      problems.add(section.value(key).orElse(null), section.qualified(key), e.getMessage());
      return Ipv4Cidr.parse(fallback);
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
        host.isEmpty() ? Ipv4Cidr.toAddress(0) : Ipv4Cidr.parseLiteral(host), port);
  }
}
