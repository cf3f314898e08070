package dev.turnout.config;

import java.util.Collection;
import java.util.Set;

/**
 * What a key that Turnout did not read means, for each section of the Clash schema: the one place
 * that decides whether it stops Turnout or is only shown. An error, because silently ignoring a key
 * that changes behaviour would route traffic other than the way the user wrote; a warning where a
 * key only tunes something. Keys that Clash or mihomo know but Turnout does not implement get their
 * own message, so that users know it is not a typo.
 */
public enum KeyPolicy {
  TOP_LEVEL(
      Severity.ERROR,
      Set.of(
          "port",
          "socks-port",
          "redir-port",
          "tproxy-port",
          "mixed-port",
          "bind-address",
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
          "listeners")),
  DNS(
      Severity.ERROR,
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
          "direct-nameserver")),
  TUN(
      Severity.ERROR,
      Set.of(
          "auto-detect-interface",
          "route-address",
          "include-uid",
          "inet4-address",
          "inet6-address",
          "gso-max-size",
          "endpoint-independent-nat",
          "auto-redirect",
          "file-descriptor")),
  PROFILE(Severity.ERROR, Set.of("store-selected")),
  /** One entry of {@code rule-providers:}. */
  RULE_PROVIDER(Severity.ERROR, Set.of("proxy", "size-limit")),
  /**
   * One entry of {@code proxies:}. Keys that would change where traffic goes (plugins, transports)
   * are refused with their reason by the outbound module itself.
   */
  PROXY(Severity.WARNING, Set.of()),
  /** One entry of {@code proxy-groups:}; as for proxies. */
  PROXY_GROUP(Severity.WARNING, Set.of());

  private final Severity unknownKeys;
  private final Set<String> unsupported;

  KeyPolicy(Severity unknownKeys, Set<String> unsupported) {
    this.unknownKeys = unknownKeys;
    this.unsupported = unsupported;
  }

  /** What a key Turnout did not read is in this section. */
  public Severity unknownKeys() {
    return unknownKeys;
  }

  /** The message for the unread {@code key}; {@code known} are the keys the section reads. */
  public String message(String key, Collection<String> known) {
    boolean error = unknownKeys == Severity.ERROR;
    if (unsupported.contains(key)) {
      return "not supported by this version of Turnout; " + (error ? "remove it" : "ignored");
    }
    return error
        ? "unknown key; expected one of " + String.join(", ", known)
        : "unknown key, ignored";
  }
}
