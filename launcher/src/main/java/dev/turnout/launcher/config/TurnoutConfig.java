package dev.turnout.launcher.config;

import dev.turnout.config.YamlMapping;
import dev.turnout.netbase.Cidr;
import dev.turnout.outbound.provider.ProxyProviderSpec;
import dev.turnout.rules.ProviderSpec;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A validated configuration. Everything in it has been checked; nothing here can fail later. */
public record TurnoutConfig(
    Path file,
    String logLevel,
    Mode mode,
    Dns dns,
    Tun tun,
    AddressPlan plan,
    List<RuleLine> rules,
    List<ProviderSpec> ruleProviders,
    Files files,
    Proxies proxies,
    FakeDns fakeDns,
    InboundSettings inbound,
    Map<String, List<RuleLine>> subRules,
    ControlSettings control,
    SnifferSettings sniffer) {

  /**
   * {@code mode:}, written in any letter case: RULE decides by the rules, GLOBAL sends everything
   * to the GLOBAL group, DIRECT sends everything directly. The mode Turnout starts in.
   */
  public enum Mode {
    RULE,
    GLOBAL,
    DIRECT
  }

  /**
   * The rest of the fake-IP DNS settings: {@code dns.fake-ip-filter-mode}, {@code dns.ipv6} with
   * {@code dns.fake-ip-range6} (the IPv6 range whose fake pool answers AAAA, see {@link
   * AddressPlan#ipv6}; null when AAAA answers are empty), top-level {@code hosts:} and {@code
   * allow-lan}, and {@code profile.store-fake-ip} (mappings kept in {@code fakeip.cache} in the
   * state directory).
   */
  public record FakeDns(
      String filterMode,
      String fakeIpRange6,
      Map<String, List<String>> hosts,
      boolean allowLan,
      boolean storeFakeIp) {}

  /**
   * The entries of {@code proxies:} and {@code proxy-groups:} as read from the file (immutable,
   * with the line of every key) for the outbound module to check and build; {@code interface-name},
   * the device DIRECT sockets bind to (null for none); and {@code proxy-providers:}.
   */
  public record Proxies(
      List<YamlMapping> proxies,
      List<YamlMapping> groups,
      String interfaceName,
      List<ProxyProviderSpec> providers) {
    public static final Proxies NONE = new Proxies(List.of(), List.of(), null, List.of());

    public Proxies {
      proxies = List.copyOf(proxies);
      groups = List.copyOf(groups);
      providers = List.copyOf(providers);
    }
  }

  /**
   * Where Turnout keeps state (provider copies, fake-IP store); the optional databases for GEOIP (a
   * MaxMind {@code .mmdb}, or with {@code geodataMode} a v2fly {@code GeoIP.dat}), IP-ASN (MaxMind)
   * and GEOSITE (v2fly {@code geosite.dat}), null when not found; mihomo's {@code geox-url} (keys
   * {@code mmdb}, {@code geoip}, {@code asn}, {@code geosite}; empty when not written): where
   * databases are downloaded from; and {@code geoUpdateInterval}, how old they may grow with {@code
   * geo-auto-update} (null without).
   */
  public record Files(
      Path stateDir,
      Path geoipDatabase,
      Path asnDatabase,
      Path geositeDatabase,
      Map<String, String> geoxUrls,
      boolean geodataMode,
      Duration geoUpdateInterval) {
    public Files {
      geoxUrls = Map.copyOf(geoxUrls);
    }

    public Files(Path stateDir, Path geoipDatabase, Path asnDatabase, Path geositeDatabase) {
      this(stateDir, geoipDatabase, asnDatabase, geositeDatabase, Map.of(), false, null);
    }

    public Files(Path stateDir, Path geoipDatabase, Path asnDatabase) {
      this(stateDir, geoipDatabase, asnDatabase, null);
    }
  }

  /**
   * The {@code dns:} section. {@code systemResolver} (Turnout extension {@code system-resolver})
   * points the host's resolver at Turnout while it runs; {@code settings} holds the keys that
   * decide which servers answer ({@link DnsSettings}).
   */
  public record Dns(
      boolean enable,
      InetSocketAddress listen,
      Cidr fakeIpRange,
      List<String> fakeIpFilter,
      List<String> nameservers,
      boolean systemResolver,
      DnsSettings settings) {}

  /**
   * The {@code tun:} section. {@code relayPort} is the listener port (TCP and UDP) on the TUN
   * address. {@code routingMark} is the top-level {@code routing-mark} (0 for none; defaults to
   * 0x2022 with auto-route). {@code excludeUids} holds {@code from-to} ranges. {@code gso} opens
   * the TUN with checksum and segmentation offload (mihomo's key; on by default here). {@code
   * fastPath} lets a tc BPF program rewrite established TCP flows in the kernel (Turnout's key; on
   * by default, and off by itself where the kernel or the process cannot load it). {@code
   * directNat} lets the kernel forward DIRECT TCP flows over IPv4 itself, NAT'ed and masqueraded,
   * instead of relaying them (Turnout's key); null when not written: then on wherever it can hold,
   * and where it cannot, off without a warning. {@code routeAddress} ({@code route-address}, {@code
   * inet4-route-address}, {@code inet6-route-address}): with auto-route, only these CIDRs are
   * routed into the TUN instead of everything. {@code routeAddressSets} and {@code
   * routeExcludeAddressSets} ({@code route-address-set}, {@code route-exclude-address-set}) name
   * ipcidr rule providers whose CIDRs are routed into the TUN, or kept out of it, as they are at
   * each refresh. {@code includeInterfaces} ({@code include-interface}): with auto-route, only
   * traffic arriving by these interfaces is captured ({@code lo}: this host's own). {@code
   * includeMacs} and {@code excludeMacs} ({@code include-mac-address}, {@code
   * exclude-mac-address}): with auto-route, which devices' traffic (by source MAC address, lower
   * case) is captured.
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
      boolean fastPath,
      Boolean directNat,
      List<String> routeAddress,
      List<String> excludeSrcPorts,
      List<String> excludeDstPorts,
      List<String> includeUids,
      List<String> excludeInterfaces,
      List<String> routeAddressSets,
      List<String> routeExcludeAddressSets,
      List<String> includeInterfaces,
      List<String> includeMacs,
      List<String> excludeMacs) {

    /** This TUN with its relay listener on {@code port}. */
    public Tun withRelayPort(int port) {
      return new Tun(
          enable,
          device,
          mtu,
          port,
          autoRoute,
          strictRoute,
          dnsHijackUdp,
          dnsHijackTcp,
          routeExcludeAddress,
          excludeUids,
          udpTimeout,
          routingMark,
          gso,
          fastPath,
          directNat,
          routeAddress,
          excludeSrcPorts,
          excludeDstPorts,
          includeUids,
          excludeInterfaces,
          routeAddressSets,
          routeExcludeAddressSets,
          includeInterfaces,
          includeMacs,
          excludeMacs);
    }

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
          true,
          Boolean.FALSE,
          List.of(),
          List.of(),
          List.of(),
          List.of(),
          List.of(),
          List.of(),
          List.of(),
          List.of(),
          List.of(),
          List.of());
    }
  }

  /** One entry of {@code rules:} with where it was written. */
  public record RuleLine(String text, String file, int line) {}
}
