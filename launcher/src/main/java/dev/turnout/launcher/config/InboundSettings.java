package dev.turnout.launcher.config;

import dev.turnout.config.KeyPolicy;
import dev.turnout.config.MappingReader;
import dev.turnout.config.YamlMapping;
import dev.turnout.config.YamlNode;
import dev.turnout.config.YamlScalar;
import dev.turnout.config.YamlSequence;
import dev.turnout.inbound.Authentication;
import dev.turnout.inbound.ClientFilter;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.inbound.ServerTls;
import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.shadowsocks.SsServerCodec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The local listeners a file asks for, read as mihomo reads them: {@code mixed-port}, {@code port}
 * (HTTP), {@code socks-port} (SOCKS, with UDP), {@code redir-port} (firewall REDIRECT, TCP) and
 * {@code tproxy-port} (firewall TPROXY, TCP and UDP) on 127.0.0.1, or with {@code allow-lan} on
 * {@code bind-address} ({@code *}: every address), where {@code lan-allowed-ips} and {@code
 * lan-disallowed-ips} choose the clients; {@code authentication} ({@code user:pass}) with {@code
 * skip-auth-prefixes}; {@code tunnels:}; and {@code listeners:} entries of those types and of type
 * shadowsocks ({@code name}, {@code port}, {@code listen}, {@code udp}, {@code users}, {@code
 * proxy}, {@code rule}; {@code cipher} and {@code password} for shadowsocks).
 *
 * <p>What Turnout does not do is said per item: a listener of another type, or with TLS, is skipped
 * with a warning (no listener, so nothing is routed otherwise than written). Immutable.
 */
public record InboundSettings(List<ListenerSpec> listeners, List<ProxyRef> proxies) {
  public static final InboundSettings NONE = new InboundSettings(List.of(), List.of());
  static final InetAddress LOOPBACK = IpLiterals.parse("127.0.0.1");

  /**
   * Every address, IPv4 and IPv6, as mihomo's {@code *} listens (a host without IPv6 falls back to
   * every IPv4 address when binding).
   */
  static final InetAddress ANY = IpLiterals.parse("::");

  private static final int MAX_PORTS_PER_LISTENER = 64;

  public InboundSettings {
    listeners = List.copyOf(listeners);
    proxies = List.copyOf(proxies);
  }

  /** A listener's {@code proxy}, where it is written: checked once the policies are known. */
  public record ProxyRef(
      String listener, String proxy, String file, int line, String path, boolean tunnel) {}

  /** As {@link #read(MappingReader, Path)}, with TLS files taken from the working directory. */
  static InboundSettings read(MappingReader top) {
    return read(top, Path.of("").toAbsolutePath());
  }

  /**
   * Reads the inbound keys of the top level; every problem goes to {@code top}'s problems. Files
   * listeners name (their TLS certificate and key) are taken from {@code home} when relative.
   */
  static InboundSettings read(MappingReader top, Path home) {
    boolean allowLan = top.bool("allow-lan", false);
    InetAddress bind = allowLan ? bindAddress(top) : LOOPBACK;
    if (!allowLan) {
      top.string("bind-address", null); // only used with allow-lan, as in mihomo
    }
    List<Cidr> skip = cidrs(top, "skip-auth-prefixes");
    Authentication global = Authentication.of(users(top), skip);
    List<Cidr> allowed = cidrs(top, "lan-allowed-ips");
    List<Cidr> disallowed = cidrs(top, "lan-disallowed-ips");
    ClientFilter lan =
        top.has("lan-allowed-ips") || !disallowed.isEmpty()
            ? ClientFilter.of(top.has("lan-allowed-ips") ? allowed : everything(), disallowed)
            : ClientFilter.ALL;
    List<ListenerSpec> listeners = new ArrayList<>();
    for (ListenerSpec.Kind kind : ListenerSpec.Kind.values()) {
      if (!kind.topLevelPort()) {
        continue; // tunnels:, ss-config and listeners: below
      }
      String key = topKey(kind);
      int port = top.integer(key, 0, 0, 65535);
      if (port != 0) {
        listeners.add(
            new ListenerSpec(
                kind.defaultName(),
                kind,
                new InetSocketAddress(bind, port),
                carriesUdp(kind),
                global,
                lan,
                null,
                null));
      }
    }
    for (String key : List.of("inbound-tfo", "inbound-mptcp")) {
      if (top.bool(key, false)) {
        top.warning(key, "not supported: the listeners use plain TCP");
      }
    }
    Set<String> names = new HashSet<>();
    List<ProxyRef> proxies = new ArrayList<>();
    for (YamlMapping entry : top.mappings("listeners")) {
      List<ListenerSpec> specs =
          entry(MappingReader.of(entry, top.problems()), allowLan, global, home);
      if (!specs.isEmpty() && !names.add(specs.get(0).name())) {
        top.problems().error(entry, "listeners", "two listeners are named " + specs.get(0).name());
      } else {
        listeners.addAll(specs);
        if (!specs.isEmpty() && specs.get(0).proxy() != null) {
          YamlNode at = entry.get("proxy").orElse(entry);
          proxies.add(
              new ProxyRef(
                  specs.get(0).name(),
                  specs.get(0).proxy(),
                  at.file(),
                  at.line(),
                  at.path(),
                  specs.get(0).kind() == ListenerSpec.Kind.TUNNEL));
        }
      }
    }
    for (Tunnels.Tunnel t : Tunnels.read(top)) {
      listeners.add(t.spec());
      if (t.proxyAt() != null) {
        YamlNode at = t.proxyAt();
        proxies.add(
            new ProxyRef(t.spec().name(), t.spec().proxy(), at.file(), at.line(), at.path(), true));
      }
    }
    ListenerSpec shadowsocks = SsConfig.read(top, bind);
    if (shadowsocks != null) {
      listeners.add(shadowsocks);
    }
    checkDistinct(top, listeners);
    return new InboundSettings(listeners, proxies);
  }

  /** The top-level key of a listener kind, as mihomo names it ({@code mixed-port}, ...). */
  public static String topKey(ListenerSpec.Kind kind) {
    return switch (kind) {
      case MIXED -> "mixed-port";
      case HTTP -> "port";
      case SOCKS -> "socks-port";
      case REDIR -> "redir-port";
      case TPROXY -> "tproxy-port";
      case TUNNEL -> "tunnels";
      case SHADOWSOCKS -> "ss-config";
      case TROJAN, VLESS, VMESS -> "listeners";
    };
  }

  /** Whether a listener of {@code kind} carries UDP unless told otherwise, as in mihomo. */
  private static boolean carriesUdp(ListenerSpec.Kind kind) {
    return switch (kind) {
      case MIXED, SOCKS, TPROXY -> true;
      case HTTP, TUNNEL, REDIR, SHADOWSOCKS, TROJAN, VLESS, VMESS -> false;
    };
  }

  private static InetAddress bindAddress(MappingReader top) {
    String text = top.string("bind-address", "*").trim();
    if (text.equals("*")) {
      return ANY;
    }
    InetAddress address = IpLiterals.parseHostOrNull(text);
    if (address == null) {
      top.problem("bind-address", "expected * or an IP address, got \"" + text + "\"");
      return LOOPBACK;
    }
    return address;
  }

  private static List<Cidr> everything() {
    return List.of(Cidr.parseStrict("0.0.0.0/0"), Cidr.parseStrict("::/0"));
  }

  private static List<Cidr> cidrs(MappingReader section, String key) {
    List<Cidr> out = new ArrayList<>();
    for (YamlScalar item : section.scalars(key)) {
      try {
        out.add(Cidr.parseMasking(item.text().trim()));
      } catch (IllegalArgumentException e) {
        section.problems().error(item, section.qualified(key), e.getMessage());
      }
    }
    return out;
  }

  /** {@code authentication: ["user:pass", ...]}. */
  private static Map<String, String> users(MappingReader top) {
    Map<String, String> users = new LinkedHashMap<>();
    for (YamlScalar item : top.scalars("authentication")) {
      String text = item.text();
      int colon = text.indexOf(':');
      if (colon <= 0) {
        top.problems()
            .error(item, "authentication", "expected \"user:password\", got \"" + text + "\"");
        continue;
      }
      if (users.put(text.substring(0, colon), text.substring(colon + 1)) != null) {
        top.problems()
            .warning(item, "authentication", "user " + text.substring(0, colon) + " given twice");
      }
    }
    return users;
  }

  /** One {@code listeners:} entry: none, one, or one per port of a port range. */
  private static List<ListenerSpec> entry(
      MappingReader entry, boolean allowLan, Authentication global, Path home) {
    String name = entry.string("name", null);
    String type = entry.string("type", "").trim().toLowerCase(Locale.ROOT);
    List<Integer> ports = ports(entry);
    String listenText = entry.string("listen", null);
    boolean udpWritten = entry.has("udp");
    boolean udp = entry.bool("udp", false);
    String proxy = entry.string("proxy", null);
    String rule = entry.string("rule", null);
    Authentication authentication = global;
    if (entry.has("users")) {
      authentication =
          Authentication.of(
              type.equals("vless") || type.equals("vmess")
                  ? uuidUsers(entry, type.equals("vless"))
                  : entryUsers(entry),
              global.skipPrefixes());
    }
    List<String> tls = new ArrayList<>();
    for (String key : List.of("certificate", "private-key", "reality-config")) {
      if (entry.value(key).isPresent()) {
        tls.add(key);
      }
    }
    String wsPath = entry.string("ws-path", null);
    if (wsPath != null && !wsPath.isBlank() && !wsPath.startsWith("/")) {
      wsPath = "/" + wsPath.strip();
    }
    String certificate = entry.string("certificate", null);
    String privateKey = entry.string("private-key", null);
    ListenerSpec.Kind kind =
        switch (type) {
          case "mixed" -> ListenerSpec.Kind.MIXED;
          case "http" -> ListenerSpec.Kind.HTTP;
          case "socks", "socks5" -> ListenerSpec.Kind.SOCKS;
          case "tunnel" -> ListenerSpec.Kind.TUNNEL;
          case "redir" -> ListenerSpec.Kind.REDIR;
          case "tproxy" -> ListenerSpec.Kind.TPROXY;
          case "shadowsocks" -> ListenerSpec.Kind.SHADOWSOCKS;
          case "trojan" -> ListenerSpec.Kind.TROJAN;
          case "vless" -> ListenerSpec.Kind.VLESS;
          case "vmess" -> ListenerSpec.Kind.VMESS;
          default -> null;
        };
    List<String> networks = List.of();
    String target = null;
    if (kind == ListenerSpec.Kind.TUNNEL) {
      networks = Tunnels.networks(entry);
      target = entry.string("target", null);
    }
    String cipher = null;
    String password = null;
    if (kind == ListenerSpec.Kind.SHADOWSOCKS) {
      cipher = entry.string("cipher", null);
      password = entry.string("password", null);
    }
    List<String> trojanExtras = new ArrayList<>();
    if (kind == ListenerSpec.Kind.TROJAN
        || kind == ListenerSpec.Kind.VLESS
        || kind == ListenerSpec.Kind.VMESS) {
      for (String key : List.of("grpc-service-name", "ss-option", "decryption")) {
        if (entry.value(key).isPresent()) {
          trojanExtras.add(key);
        }
      }
    }
    entry.reportUnread(
        KeyPolicy.PROXY); // unknown keys of an entry are warnings, as mihomo ignores them
    String where = "listener " + (name == null ? "without a name" : name);
    if (kind == null) {
      entry.warning(
          "type",
          where
              + ": type \""
              + type
              + "\" is not supported (mixed, http, socks, tunnel, redir, tproxy, shadowsocks,"
              + " trojan, vless, vmess are); skipped");
      return List.of();
    }
    if (!udpWritten) {
      udp = carriesUdp(kind);
    }
    if (wsPath != null
        && kind != ListenerSpec.Kind.TROJAN
        && kind != ListenerSpec.Kind.VLESS
        && kind != ListenerSpec.Kind.VMESS) {
      entry.warning(
          "ws-path", where + ": only trojan, vless and vmess listeners speak WebSocket; ignored");
      wsPath = null;
    }
    ServerTls serverTls = null;
    if (!tls.isEmpty()) {
      boolean speaksTls =
          kind == ListenerSpec.Kind.HTTP
              || kind == ListenerSpec.Kind.SOCKS
              || kind == ListenerSpec.Kind.MIXED
              || kind == ListenerSpec.Kind.TROJAN
              || kind == ListenerSpec.Kind.VLESS
              || kind == ListenerSpec.Kind.VMESS;
      if (tls.contains("reality-config") || !speaksTls) {
        String key = tls.contains("reality-config") ? "reality-config" : tls.get(0);
        entry.warning(
            key,
            where
                + (key.equals("reality-config")
                    ? ": REALITY is not supported"
                    : ": TLS is supported on http, socks, mixed, trojan, vless and vmess listeners"
                        + " only")
                + "; skipped, so clients fail");
        return List.of();
      }
      serverTls = TlsFiles.read(entry, where, certificate, privateKey, home);
      if (serverTls == null) {
        return List.of();
      }
    }
    if (name == null || name.isBlank()) {
      entry.problem("name", "every listener needs a name (rules match it with IN-NAME)");
      return List.of();
    }
    if (rule != null) {
      entry.warning(
          "rule",
          where + ": sub-rules per listener are not supported; its connections follow rules:");
    }
    if (kind == ListenerSpec.Kind.TROJAN) {
      String missing =
          !trojanExtras.isEmpty()
              ? trojanExtras.get(0)
                  + " is not supported (Trojan over TLS, or WebSocket in TLS, only)"
              : serverTls == null
                  ? "a Trojan listener needs certificate and private-key"
                  : !entry.has("users") || !authentication.enabled()
                      ? "a Trojan listener needs users (their passwords are the credentials)"
                      : null;
      if (missing != null) {
        entry.warning(
            !trojanExtras.isEmpty() ? trojanExtras.get(0) : serverTls == null ? "type" : "users",
            where + ": " + missing + "; skipped");
        return List.of();
      }
      udp =
          false; // Trojan's UDP rides its TLS stream (always, as trojan-gfw servers do): no socket
    }
    if (kind == ListenerSpec.Kind.VLESS || kind == ListenerSpec.Kind.VMESS) {
      String protocol = kind == ListenerSpec.Kind.VLESS ? "VLESS" : "VMess";
      String missing =
          !trojanExtras.isEmpty()
              ? trojanExtras.get(0)
                  + " is not supported ("
                  + protocol
                  + " over TCP or WebSocket, plain or in TLS)"
              : !entry.has("users") || !authentication.enabled()
                  ? "a " + protocol + " listener needs users (their UUIDs are the credentials)"
                  : null;
      if (missing != null) {
        entry.warning(
            !trojanExtras.isEmpty() ? trojanExtras.get(0) : "users",
            where + ": " + missing + "; skipped");
        return List.of();
      }
      udp = false; // the UDP of both rides the stream: no socket
    }
    if (udp && (kind == ListenerSpec.Kind.HTTP || kind == ListenerSpec.Kind.REDIR)) {
      entry.warning("udp", where + ": an HTTP or redir listener carries no UDP (tproxy does)");
      udp = false;
    }
    InetAddress listen = allowLan ? ANY : LOOPBACK;
    if (listenText != null) {
      listen = IpLiterals.parseHostOrNull(listenText.trim());
      if (listen == null) {
        entry.problem("listen", "expected an IP address, got \"" + listenText + "\"");
        return List.of();
      }
    }
    List<ListenerSpec> out = new ArrayList<>();
    if (kind == ListenerSpec.Kind.SHADOWSOCKS) {
      SsServerCodec codec;
      try {
        codec = SsServerCodec.of(cipher == null ? null : cipher.trim(), password);
      } catch (IllegalArgumentException e) {
        boolean badCipher = cipher == null || !SsServerCodec.CIPHERS.contains(cipher.trim());
        entry.warning(
            badCipher ? "cipher" : "password", where + ": " + e.getMessage() + "; skipped");
        return List.of();
      }
      for (int port : ports) {
        out.add(
            ListenerSpec.shadowsocks(name, new InetSocketAddress(listen, port), codec, proxy, udp));
      }
      return out;
    }
    if (kind == ListenerSpec.Kind.TUNNEL) {
      Destination to = target == null ? null : Tunnels.target(target.trim());
      if (to == null) {
        entry.warning("target", where + ": a tunnel needs target: HOST:PORT; skipped");
        return List.of();
      }
      boolean tcp = networks.isEmpty() || networks.contains("tcp");
      udp = udp || networks.contains("udp");
      for (int port : ports) {
        out.add(
            ListenerSpec.tunnel(name, new InetSocketAddress(listen, port), to, proxy, tcp, udp));
      }
      return out;
    }
    for (int port : ports) {
      out.add(
          new ListenerSpec(
              name,
              kind,
              new InetSocketAddress(listen, port),
              udp,
              authentication,
              ClientFilter.ALL, // lan-allowed-ips are for the top-level ports, as in mihomo
              proxy,
              null,
              true,
              null,
              serverTls,
              wsPath == null || wsPath.isBlank() ? null : wsPath));
    }
    return out;
  }

  /** {@code users: [{username: u, password: p}, ...]}; an empty list means nobody must log in. */
  private static Map<String, String> entryUsers(MappingReader entry) {
    Map<String, String> users = new LinkedHashMap<>();
    for (YamlMapping user : entry.mappings("users")) {
      MappingReader reader = MappingReader.of(user, entry.problems());
      String name = reader.string("username", null);
      String password = reader.string("password", "");
      reader.reportUnread(KeyPolicy.PROXY);
      if (name == null || name.isEmpty()) {
        entry.problems().error(user, entry.qualified("users"), "a user needs a username");
      } else {
        users.put(name, password);
      }
    }
    return users;
  }

  /**
   * A VLESS or VMess listener's {@code users: [{username: u, uuid: ..., flow: ..., alterId: ...}]}:
   * each UUID by its user's name (the UUID itself without one). A VLESS user with a flow (XTLS
   * Vision) is left out with a warning: Turnout does not speak it, and its client would fail
   * anyway. A VMess user's {@code alterId} above 0 is a warning: only clients that seal their
   * headers with AEAD (alterId 0, the default of v2ray, Xray, sing-box and mihomo) get in.
   */
  private static Map<String, String> uuidUsers(MappingReader entry, boolean vless) {
    Map<String, String> users = new LinkedHashMap<>();
    for (YamlMapping user : entry.mappings("users")) {
      MappingReader reader = MappingReader.of(user, entry.problems());
      String uuid = reader.string("uuid", null);
      String name = reader.string("username", uuid);
      String flow = vless ? reader.string("flow", "") : "";
      int alterId = vless ? 0 : reader.integer("alterId", 0, 0, 65535);
      reader.reportUnread(KeyPolicy.PROXY);
      try {
        uuid = uuid == null ? null : UUID.fromString(uuid.strip()).toString();
      } catch (IllegalArgumentException e) {
        uuid = null;
      }
      if (uuid == null) {
        entry
            .problems()
            .error(
                user,
                entry.qualified("users"),
                "a " + (vless ? "VLESS" : "VMess") + " user needs a uuid");
      } else if (!flow.isEmpty()) {
        entry
            .problems()
            .warning(
                user,
                entry.qualified("users"),
                "user " + name + ": flow " + flow + " is not supported; this user is left out");
      } else {
        if (alterId > 0) {
          entry
              .problems()
              .warning(
                  user,
                  entry.qualified("users"),
                  "user "
                      + name
                      + ": alterId "
                      + alterId
                      + ": only AEAD clients (alterId 0) are served; legacy ones fail to connect");
        }
        users.put(name, uuid);
      }
    }
    return users;
  }

  /** {@code port: 7892}, or mihomo's ports format {@code "7000-7002,7010"} ({@code /} too). */
  private static List<Integer> ports(MappingReader entry) {
    YamlNode node = entry.value("port").orElse(null);
    if (!(node instanceof YamlScalar scalar)) {
      if (node instanceof YamlSequence || node instanceof YamlMapping) {
        entry.problem("port", "expected a port or a range such as 7000-7010");
      } else {
        entry.problem("port", "every listener needs a port");
      }
      return List.of();
    }
    List<Integer> ports = new ArrayList<>();
    for (String part : scalar.text().split("[,/]")) {
      String[] range = part.trim().split("-", -1);
      int first = GeneralKeys.port(range[0]);
      int last = range.length == 2 ? GeneralKeys.port(range[1]) : first;
      if (range.length > 2 || first < 1 || last < first) {
        entry.problem(
            "port", "expected a port or a range such as 7000-7010, got \"" + scalar.text() + "\"");
        return List.of();
      }
      for (int p = first; p <= last; p++) {
        if (ports.size() == MAX_PORTS_PER_LISTENER) {
          entry.problem("port", "at most " + MAX_PORTS_PER_LISTENER + " ports per listener");
          return List.of();
        }
        ports.add(p);
      }
    }
    return ports;
  }

  /** Two listeners cannot share a port on one address. */
  private static void checkDistinct(MappingReader top, List<ListenerSpec> listeners) {
    for (int i = 0; i < listeners.size(); i++) {
      ListenerSpec a = listeners.get(i);
      for (int j = 0; j < i; j++) {
        ListenerSpec b = listeners.get(j);
        if (a.bind().getPort() == b.bind().getPort() && overlap(a.bind(), b.bind())) {
          String key = a.name().equals(a.kind().defaultName()) ? topKey(a.kind()) : "listeners";
          top.problems()
              .error(
                  top.keyAt(key),
                  key,
                  a.name() + " and " + b.name() + " both listen on port " + a.bind().getPort());
        }
      }
    }
  }

  private static boolean overlap(InetSocketAddress a, InetSocketAddress b) {
    return a.getAddress().isAnyLocalAddress()
        || b.getAddress().isAnyLocalAddress()
        || a.getAddress().equals(b.getAddress());
  }

  /**
   * {@code tun} with its relay port moved off a listener's port when the file did not choose it
   * ({@code explicit}): the TUN relay listens on the TUN address, which a listener on every address
   * (allow-lan) would take. Turnout's relay port is internal, mixed-port 7890 is every Clash
   * user's.
   */
  TurnoutConfig.Tun avoidingRelayPort(TurnoutConfig.Tun tun, boolean explicit) {
    if (explicit || !tun.enable()) {
      return tun;
    }
    Set<Integer> used = new HashSet<>();
    listeners.forEach(l -> used.add(l.bind().getPort()));
    int port = tun.relayPort();
    while (used.contains(port)) {
      port = port == 65535 ? 1024 : port + 1;
    }
    return port == tun.relayPort() ? tun : tun.withRelayPort(port);
  }
}
