package dev.turnout.launcher.config;

import dev.turnout.config.YamlMapping;
import dev.turnout.netbase.Cidr;
import dev.turnout.rules.ProviderSpec;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A validated configuration. Everything in it has been checked; nothing here can fail later. */
public record TurnoutConfig(
    Path file,
    String logLevel,
    Dns dns,
    Tun tun,
    AddressPlan plan,
    List<RuleLine> rules,
    List<ProviderSpec> ruleProviders,
    Files files,
    Proxies proxies,
    FakeDns fakeDns,
    ControlSettings control) {

  /**
   * The rest of the fake-IP DNS settings: {@code dns.fake-ip-filter-mode}, {@code dns.ipv6} with
   * {@code dns.fake-ip-range6} (null without {@code ipv6: true}), top-level {@code hosts:} and
   * {@code allow-lan}, and {@code profile.store-fake-ip} (mappings kept in {@code fakeip.cache} in
   * the state directory).
   */
  public record FakeDns(
      String filterMode,
      String fakeIpRange6,
      Map<String, List<String>> hosts,
      boolean allowLan,
      boolean storeFakeIp) {}

  /**
   * The entries of {@code proxies:} and {@code proxy-groups:} as read from the file (immutable,
   * with the line of every key) for the outbound module to check and build; and {@code
   * interface-name}, the device DIRECT sockets bind to (null for none).
   */
  public record Proxies(List<YamlMapping> proxies, List<YamlMapping> groups, String interfaceName) {
    public static final Proxies NONE = new Proxies(List.of(), List.of(), null);

    public Proxies {
      proxies = List.copyOf(proxies);
      groups = List.copyOf(groups);
    }
  }

  /**
   * Where Turnout keeps state (provider copies, fake-IP store) and the optional MaxMind databases
   * for GEOIP and IP-ASN rules (null when not configured).
   */
  public record Files(Path stateDir, Path geoipDatabase, Path asnDatabase) {}

  /**
   * The {@code dns:} section. {@code systemResolver} (Turnout extension {@code system-resolver})
   * points the host's resolver at Turnout while it runs.
   */
  public record Dns(
      boolean enable,
      InetSocketAddress listen,
      Cidr fakeIpRange,
      List<String> fakeIpFilter,
      List<String> nameservers,
      boolean systemResolver) {}

  /**
   * The {@code tun:} section. {@code relayPort} is the listener port (TCP and UDP) on the TUN
   * address. {@code routingMark} is the top-level {@code routing-mark} (0 for none; defaults to
   * 0x2022 with auto-route). {@code excludeUids} holds {@code from-to} ranges. {@code gso} opens
   * the TUN with checksum and segmentation offload (mihomo's key; on by default here). {@code
   * fastPath} lets a tc BPF program rewrite established TCP flows in the kernel (Turnout's key; on
   * by default, and off by itself where the kernel or the process cannot load it).
   */
  public record Tun(
      boolean enable,
      String device,
      int mtu,
      int relayPort,
      boolean autoRoute,
      boolean strictRoute,
      boolean dnsHijackUdp,
      boolean dnsHijackTcp,
      List<String> routeExcludeAddress,
      List<String> excludeUids,
      java.time.Duration udpTimeout,
      int routingMark,
      boolean gso,
      boolean fastPath) {

    /** The fake-IP-only TUN of earlier versions: no auto-route, no hijack. */
    public Tun(boolean enable, String device, int mtu, int relayPort) {
      this(
          enable,
          device,
          mtu,
          relayPort,
          false,
          false,
          false,
          false,
          List.of(),
          List.of(),
          java.time.Duration.ofSeconds(60),
          0,
          true,
          true);
    }
  }

  /** One entry of {@code rules:} with where it was written. */
  public record RuleLine(String text, String file, int line) {}
}
