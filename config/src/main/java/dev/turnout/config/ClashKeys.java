package dev.turnout.config;

import static java.util.Map.entry;

import java.util.Map;

/**
 * The keys of Clash (Premium) and mihomo that Turnout does not read, per section, each with the
 * decision {@link KeyPolicy} applies and the reason users are shown. A key Turnout reads is not
 * listed here: reading it is the decision. A key moves out of these tables in the same change that
 * makes Turnout read it.
 */
final class ClashKeys {
  private ClashKeys() {}

  private static final String NO_CONTROLLER =
      "the controller serves HTTP on external-controller, HTTPS on external-controller-tls and"
          + " a Unix socket on external-controller-unix; routing is not affected";
  private static final String NO_INBOUND_SERVER =
      "inbound servers of this protocol are not supported (listeners: are mixed, http, socks,"
          + " redir, tproxy, tunnel, shadowsocks, trojan, vless or vmess); routing of captured"
          + " traffic is not affected";
  private static final String KEEP_ALIVE =
      "Turnout does not turn on TCP keep-alive probes for its connections";
  private static final String ANDROID = "Android only";
  private static final String MACOS = "macOS only";
  private static final String AUTO_REDIRECT =
      "auto-route already carries TCP through the TUN, and the fast path keeps established flows"
          + " in the kernel";

  /** Top level: nothing here changes where captured traffic goes. */
  static final Map<String, String> TOP_LEVEL_IGNORED =
      Map.ofEntries(
          entry(
              "vmess-config",
              "write a VMess server as a listeners: entry of type: vmess; routing of captured"
                  + " traffic is not affected"),
          entry("tuic-server", NO_INBOUND_SERVER),
          entry("mitm-port", "MITM is not supported"),
          entry("mitm", "MITM is not supported"),
          entry("external-controller-pipe", NO_CONTROLLER),
          entry("external-doh-server", NO_CONTROLLER),
          entry("script", "scripts are not supported; rules that use them are reported"),
          entry(
              "unified-delay",
              "health checks always measure one HTTP request through the member, connect"
                  + " included"),
          entry(
              "tcp-concurrent",
              "Turnout always races the addresses of a name when it connects (Happy Eyeballs)"),
          entry(
              "global-client-fingerprint",
              "TLS client fingerprints are not imitated; Turnout's TLS is the JDK's"),
          entry("etag-support", "downloads always revalidate with ETag and Last-Modified"),
          entry(
              "global-ua",
              "downloads send User-Agent: clash.meta (turnout), or a proxy provider's header:"),
          entry("keep-alive-idle", KEEP_ALIVE),
          entry("keep-alive-interval", KEEP_ALIVE),
          entry("disable-keep-alive", KEEP_ALIVE),
          entry("ntp", "Turnout does not set the clock"),
          entry("experimental", "mihomo's experimental switches do not apply to Turnout"),
          entry("iptables", "Turnout captures traffic with its TUN device, not iptables redirects"),
          entry("ebpf", "Turnout has its own kernel fast path (tun.fast-path)"),
          entry("clash-for-android", ANDROID));

  /**
   * {@code sniffer:} keys about names behind fake IPs, which Turnout takes from its DNS, and about
   * the local listeners' connections. (TUN connections to literal addresses are sniffed with {@code
   * enable} alone, as in mihomo.)
   */
  static final Map<String, String> SNIFFER_IGNORED =
      Map.ofEntries(
          entry(
              "force-dns-mapping",
              "a connection to a fake IP is routed by the name its DNS answer was for"),
          entry(
              "force-domain",
              "a connection to a fake IP is routed by the name its DNS answer was for"),
          entry(
              "parse-pure-ip",
              "connections through the local proxy listeners are not sniffed: their clients wait"
                  + " for the proxy's reply before they send"));

  /** {@code tun:} keys that tune mihomo's TUN or exist on other systems. */
  static final Map<String, String> TUN_IGNORED =
      Map.ofEntries(
          entry(
              "auto-detect-interface",
              "Turnout's own sockets carry routing-mark, so they never loop into the TUN"),
          entry("gso-max-size", "the TUN trades segments of up to 64 KiB"),
          entry("inet4-address", "the TUN's address is the first address of dns.fake-ip-range"),
          entry(
              "inet6-address", "the TUN's IPv6 address is the first address of dns.fake-ip-range6"),
          entry("iproute2-table-index", "auto-route uses routing table 2022"),
          entry("iproute2-rule-index", "auto-route uses ip rules 9000 to 9009"),
          entry("auto-redirect", AUTO_REDIRECT),
          entry("auto-redirect-input-mark", AUTO_REDIRECT),
          entry("auto-redirect-output-mark", AUTO_REDIRECT),
          entry(
              "endpoint-independent-nat",
              "only mihomo's gVisor stack uses it; Turnout relays each UDP flow on its own"),
          entry("file-descriptor", "Turnout opens its own TUN device"),
          entry("disable-icmp-forwarding", "Turnout answers ICMP echo requests to fake IPs itself"),
          entry("include-android-user", ANDROID),
          entry("include-package", ANDROID),
          entry("exclude-package", ANDROID),
          entry("recvmsgx", MACOS),
          entry("sendmsgx", MACOS));

  /** {@code tun:} keys whose absence would capture traffic the user keeps out of the TUN. */
  static final Map<String, String> TUN_REFUSED =
      Map.ofEntries(
          entry(
              "loopback-address",
              "connections to these addresses would be routed instead of answered by this"
                  + " host"));

  /** mihomo's dial keys of a proxy that Turnout accepts without using. */
  static final Map<String, String> PROXY_IGNORED =
      Map.ofEntries(
          entry("tfo", "TCP Fast Open is not used"),
          entry("mptcp", "Multipath TCP is not used"),
          entry(
              "smux",
              "connections are not multiplexed (sing-mux): each has a connection to the server of"
                  + " its own, which servers with multiplexing on accept as well"),
          entry(
              "ip-version",
              "the server's addresses of both families are raced (Happy Eyeballs), IPv4 and IPv6"
                  + " interleaved"));

  static final Map<String, String> PROXY_PROVIDER_IGNORED =
      Map.ofEntries(entry("size-limit", "subscriptions of up to 64 MiB are read"));
}
