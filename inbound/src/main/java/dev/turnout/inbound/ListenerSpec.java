package dev.turnout.inbound;

import dev.turnout.netbase.IpLiterals;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.shadowsocks.SsServerCodec;
import java.net.InetSocketAddress;

/**
 * One local listener as configured: {@code mixed-port}, {@code port}, {@code socks-port}, {@code
 * redir-port}, {@code tproxy-port}, a tunnel, or a {@code listeners:} entry of one of those types.
 *
 * @param name the inbound name rules and the controller see ({@code DEFAULT-MIXED}, or the entry's
 *     {@code name})
 * @param kind which protocols it speaks
 * @param bind the address and port it listens on (TCP, and UDP for SOCKS5 UDP ASSOCIATE)
 * @param udp whether SOCKS5 clients may UDP ASSOCIATE
 * @param authentication who may use it
 * @param filter which clients of other hosts it serves
 * @param proxy the policy every connection takes without asking the rules ({@code listeners:}
 *     entries' {@code proxy}), or null to follow the rules
 * @param target where a tunnel's connections go, whatever its clients meant; null for the others
 * @param tcp whether it listens for TCP: always, except for a UDP-only tunnel
 * @param shadowsocks a Shadowsocks listener's cipher and key; null for the others
 * @param tls the TLS an http, socks, mixed or trojan listener's clients speak inside; null for none
 * @param wsPath the path a Trojan, VLESS or VMess listener's clients ask for when they speak
 *     WebSocket ({@code ws-path}); null when they speak the protocol itself
 */
public record ListenerSpec(
    String name,
    Kind kind,
    InetSocketAddress bind,
    boolean udp,
    Authentication authentication,
    ClientFilter filter,
    String proxy,
    Destination target,
    boolean tcp,
    SsServerCodec shadowsocks,
    ServerTls tls,
    String wsPath) {

  public ListenerSpec {
    if (name == null || name.isEmpty() || kind == null || bind == null) {
      throw new IllegalArgumentException("a listener needs a name, a kind and an address");
    }
    if (udp && (kind == Kind.HTTP || kind == Kind.REDIR)) {
      throw new IllegalArgumentException("an HTTP or redir listener carries no UDP");
    }
    if (!tcp && (kind != Kind.TUNNEL || !udp)) {
      throw new IllegalArgumentException("only a tunnel may listen for UDP alone");
    }
    if ((kind == Kind.SHADOWSOCKS) != (shadowsocks != null)) {
      throw new IllegalArgumentException("a Shadowsocks listener, and only one, has a cipher");
    }
    if ((kind == Kind.TUNNEL) != (target != null)) {
      throw new IllegalArgumentException("a tunnel, and only a tunnel, has a target");
    }
    if (tls != null
        && kind != Kind.HTTP
        && kind != Kind.SOCKS
        && kind != Kind.MIXED
        && kind != Kind.TROJAN
        && kind != Kind.VLESS
        && kind != Kind.VMESS) {
      throw new IllegalArgumentException(
          "only an http, socks, mixed, trojan, vless or vmess listener speaks TLS");
    }
    if (kind == Kind.TROJAN && (tls == null || !authentication.enabled() || udp)) {
      throw new IllegalArgumentException(
          "a Trojan listener needs TLS and users, and carries no UDP");
    }
    if (wsPath != null
        && (!wsPath.startsWith("/")
            || (kind != Kind.TROJAN && kind != Kind.VLESS && kind != Kind.VMESS))) {
      throw new IllegalArgumentException(
          "only a trojan, vless or vmess listener speaks WebSocket, at a path starting with /");
    }
    if ((kind == Kind.VLESS || kind == Kind.VMESS) && (!authentication.enabled() || udp)) {
      throw new IllegalArgumentException(
          "a VLESS or VMess listener needs users, and carries no UDP socket");
    }
  }

  /** A listener that listens for TCP (every kind but a UDP-only tunnel). */
  public ListenerSpec(
      String name,
      Kind kind,
      InetSocketAddress bind,
      boolean udp,
      Authentication authentication,
      ClientFilter filter,
      String proxy,
      Destination target) {
    this(name, kind, bind, udp, authentication, filter, proxy, target, true, null, null, null);
  }

  /**
   * mihomo's {@code tunnels:} (and {@code listeners:} of type tunnel): TCP and, if asked, UDP to
   * {@code bind} go to {@code target}, through {@code proxy} or, when it is null, as the rules say.
   */
  public static ListenerSpec tunnel(
      String name,
      InetSocketAddress bind,
      Destination target,
      String proxy,
      boolean tcp,
      boolean udp) {
    return new ListenerSpec(
        name,
        Kind.TUNNEL,
        bind,
        udp,
        Authentication.NONE,
        ClientFilter.ALL,
        proxy,
        target,
        tcp,
        null,
        null,
        null);
  }

  /**
   * mihomo's {@code listeners:} of type shadowsocks: AEAD clients with the key of {@code codec},
   * their requests through {@code proxy} or, when it is null, as the rules say; their UDP packets
   * too when {@code udp}.
   */
  public static ListenerSpec shadowsocks(
      String name, InetSocketAddress bind, SsServerCodec codec, String proxy, boolean udp) {
    return new ListenerSpec(
        name,
        Kind.SHADOWSOCKS,
        bind,
        udp,
        Authentication.NONE,
        ClientFilter.ALL,
        proxy,
        null,
        true,
        codec,
        null,
        null);
  }

  /** The protocols of a listener, with mihomo's name for its top-level port. */
  public enum Kind {
    /** HTTP and SOCKS on one port, told apart by the first byte. */
    MIXED("DEFAULT-MIXED"),
    /** HTTP proxy: CONNECT and absolute-URI requests. */
    HTTP("DEFAULT-HTTP"),
    /** SOCKS5 (and SOCKS4/4a). */
    SOCKS("DEFAULT-SOCKS"),
    /** A local port forward (TCP, UDP or both): no protocol, one fixed target. */
    TUNNEL("DEFAULT-TUNNEL"),
    /** Connections a firewall REDIRECT turned to it; the target is their original destination. */
    REDIR("DEFAULT-REDIR"),
    /** Connections (and datagrams) a firewall TPROXY rule turned to it, kept addressed as sent. */
    TPROXY("DEFAULT-TPROXY"),
    /** Shadowsocks AEAD clients: the password is their credential. */
    SHADOWSOCKS("DEFAULT-SHADOWSOCKS"),
    /** Trojan clients inside TLS: a user's password is their credential. */
    TROJAN("DEFAULT-TROJAN"),
    /** VLESS clients, in TLS or plain: a user's UUID is their credential. */
    VLESS("DEFAULT-VLESS"),
    /** VMess clients (AEAD headers), in TLS or plain: a user's UUID is their credential. */
    VMESS("DEFAULT-VMESS");

    private final String defaultName;

    Kind(String defaultName) {
      this.defaultName = defaultName;
    }

    /**
     * Whether its clients are the firewall's: connections turned to it by a rule, never a client
     * that asks it for a destination (so it is no open proxy, even on every address).
     */
    public boolean transparent() {
      return this == REDIR || this == TPROXY;
    }

    /**
     * Whether anyone who reaches it may use it unless users are set: not so for the firewall's
     * listeners ({@link #transparent}), Shadowsocks, Trojan and VLESS, whose passwords (UUIDs) are
     * credentials.
     */
    public boolean openWithoutUsers() {
      return !transparent()
          && this != SHADOWSOCKS
          && this != TROJAN
          && this != VLESS
          && this != VMESS;
    }

    /**
     * Whether mihomo has a top-level port key of this kind ({@code mixed-port}, ...): not tunnels
     * ({@code tunnels:}), Shadowsocks ({@code ss-config}), Trojan or VLESS (listeners only).
     */
    public boolean topLevelPort() {
      return this != TUNNEL
          && this != SHADOWSOCKS
          && this != TROJAN
          && this != VLESS
          && this != VMESS;
    }

    /** The inbound name of the top-level port of this kind (of top-level tunnels, for a tunnel). */
    public String defaultName() {
      return defaultName;
    }
  }

  /** Whether the listener may be reached from other hosts. */
  public boolean exposed() {
    return !bind.getAddress().isLoopbackAddress();
  }

  @Override
  public String toString() {
    return name + " (" + kind.name().toLowerCase(java.util.Locale.ROOT) + ") on " + address();
  }

  /** {@code 127.0.0.1:7890}, {@code [::]:7890}. */
  public String address() {
    return IpLiterals.format(bind.getAddress(), bind.getPort());
  }
}
