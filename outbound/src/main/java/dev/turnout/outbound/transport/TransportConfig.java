package dev.turnout.outbound.transport;

import dev.turnout.outbound.Fields;
import dev.turnout.outbound.ProxyType;
import dev.turnout.outbound.Transport;
import dev.turnout.outbound.tls.Tls;
import dev.turnout.outbound.tls.TlsTransport;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reads the keys of a Clash proxy entry that choose its transport, the same for every protocol that
 * has them: {@code tls}, {@code sni}/{@code servername}, {@code skip-cert-verify}, {@code alpn},
 * {@code fingerprint}, {@code client-fingerprint}, and {@code network} with its {@code ws-opts},
 * {@code h2-opts}, {@code grpc-opts} and {@code http-opts}. Stateless.
 */
public final class TransportConfig {
  /** The keys {@link #read} reads; a protocol adds them to its own. */
  public static final Set<String> KEYS =
      Set.of(
          "tls",
          "sni",
          "servername",
          "skip-cert-verify",
          "alpn",
          "fingerprint",
          "client-fingerprint",
          "network",
          "ws-opts",
          "h2-opts",
          "grpc-opts",
          "http-opts");

  /** {@link #KEYS} and a protocol's own keys. */
  public static Set<String> keysWith(String... own) {
    Set<String> all = new HashSet<>(KEYS);
    all.addAll(List.of(own));
    return Set.copyOf(all);
  }

  /** Every value of {@code network} Turnout carries. */
  public static final List<String> NETWORKS = List.of("tcp", "ws", "h2", "grpc", "http");

  public static final String SKIP_VERIFY =
      "skip-cert-verify is on: the server's certificate is not checked, so anyone on the path can"
          + " read and change the traffic (shown once for all proxies that set it)";
  static final String CLIENT_FINGERPRINT =
      "client-fingerprint is accepted but not imitated: the TLS hello is the JDK's, not a"
          + " browser's (uTLS); servers that check it will refuse (shown once)";
  static final String EARLY_DATA =
      "ws-opts.max-early-data is accepted but no early data is sent: the WebSocket upgrade costs"
          + " one more round trip; servers accept that (shown once)";

  private TransportConfig() {}

  /**
   * Reads the transport keys of {@code f}.
   *
   * @param tlsAlways TLS whatever {@code tls} says (Trojan)
   * @param networks the {@code network} values the protocol allows, "tcp" first
   * @return the transport, or null when an error was recorded
   */
  public static Transport read(
      Fields f, ProxyType.Common common, boolean tlsAlways, List<String> networks) {
    boolean tls = tlsAlways || f.bool("tls", false);
    String network = f.oneOf("network", networks, "tcp");
    String server = common.server();
    if (server == null) {
      return null;
    }
    String sni = f.string("sni", false);
    if (sni == null || sni.isEmpty()) {
      sni = f.string("servername", false);
    }
    String name = sni == null || sni.isEmpty() ? server : sni;
    Transport transport = Transport.TCP;
    if (tls) {
      Tls.Options options = tlsOptions(f, name, network);
      if (options == null) {
        return null;
      }
      transport = new TlsTransport(new Tls(options), common.port());
    }
    Transport over = network(f, network, server, name, common.port(), tls);
    if (over == null || f.failed()) {
      return null;
    }
    return transport.then(over);
  }

  private static Tls.Options tlsOptions(Fields f, String serverName, String network) {
    boolean skip = f.bool("skip-cert-verify", false);
    if (skip) {
      f.warnOnce("skip-cert-verify", SKIP_VERIFY);
    }
    List<String> alpn = f.stringOrList("alpn");
    if (alpn.isEmpty() && ("h2".equals(network) || "grpc".equals(network))) {
      alpn = List.of("h2");
    } else if ("ws".equals(network) || "http".equals(network)) {
      alpn = List.of("http/1.1"); // an upgrade or HTTP/1.1 head needs HTTP/1.1
    }
    byte[] pin = null;
    String fingerprint = f.string("fingerprint", false);
    if (fingerprint != null && !fingerprint.isEmpty()) {
      pin = pin(fingerprint);
      if (pin == null) {
        f.error("fingerprint", "expected the SHA-256 of a certificate, 64 hex digits");
        return null;
      }
    }
    String clientFingerprint = f.string("client-fingerprint", false);
    if (clientFingerprint != null && !clientFingerprint.isEmpty()) {
      f.warnOnce("client-fingerprint", CLIENT_FINGERPRINT);
    }
    return new Tls.Options(serverName, skip, alpn, pin);
  }

  /** A certificate pin from its hex form (pairs may be colon-separated), or null. */
  public static byte[] pin(String text) {
    String hex = text.replace(":", "").trim();
    if (hex.length() != 64) {
      return null;
    }
    try {
      return HexFormat.of().parseHex(hex);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static Transport network(
      Fields f, String network, String server, String serverName, int port, boolean tls) {
    switch (network) {
      case "ws" -> {
        Fields o = f.nested("ws-opts");
        if (o == null) {
          return null;
        }
        String path = o.string("path", false);
        Map<String, String> headers = o.stringMap("headers");
        if (o.integer("max-early-data", 0, 0, 1 << 20) > 0) {
          o.warnOnce("max-early-data", EARLY_DATA);
        }
        o.string("early-data-header-name", false);
        o.bool("v2ray-http-upgrade", false);
        o.unknownKeys(
            Set.of(
                "path",
                "headers",
                "max-early-data",
                "early-data-header-name",
                "v2ray-http-upgrade"));
        String host = headers.getOrDefault("Host", headers.getOrDefault("host", serverName));
        headers.remove("Host");
        headers.remove("host");
        if (path != null && !path.isEmpty() && !path.startsWith("/")) {
          o.error("path", "expected a path starting with /");
          return null;
        }
        return new WsTransport(host, port, path, headers, tls);
      }
      case "h2" -> {
        Fields o = f.nested("h2-opts");
        if (o == null) {
          return null;
        }
        if (!tls) {
          f.error("network", "h2 needs TLS: set tls: true");
          return null;
        }
        List<String> hosts = o.stringOrList("host");
        String path = o.string("path", false);
        o.unknownKeys(Set.of("host", "path"));
        return H2Transport.h2(
            hosts.isEmpty() ? List.of(serverName) : hosts, path == null ? "/" : path, true);
      }
      case "grpc" -> {
        Fields o = f.nested("grpc-opts");
        if (o == null) {
          return null;
        }
        String service = o.string("grpc-service-name", false);
        o.unknownKeys(Set.of("grpc-service-name"));
        return H2Transport.grpc(serverName, service == null ? "" : service, tls);
      }
      case "http" -> {
        Fields o = f.nested("http-opts");
        if (o == null) {
          return null;
        }
        String method = o.string("method", false);
        List<String> paths = o.stringOrList("path");
        Map<String, String> headers = o.stringMap("headers");
        o.unknownKeys(Set.of("method", "path", "headers"));
        return httpDisguise(
            method == null || method.isEmpty() ? "GET" : method,
            paths.isEmpty() ? List.of("/") : paths,
            headers,
            server);
      }
      default -> {
        return Transport.TCP;
      }
    }
  }

  /**
   * A WebSocket to {@code path} with {@code Host: host}, over TLS with {@code tls} when not null,
   * for protocols that configure it their own way (Shadowsocks' v2ray-plugin).
   */
  public static Transport webSocket(
      Tls tls, String host, int port, String path, Map<String, String> headers) {
    Transport ws = new WsTransport(host, port, path, headers, tls != null);
    return tls == null ? ws : new TlsTransport(tls, port).then(ws);
  }

  /** v2ray's TCP "http" header: a GET to one of {@code paths} in front of the first chunk. */
  static Transport httpDisguise(
      String method, List<String> paths, Map<String, String> headers, String server) {
    Map<String, String> all = new java.util.LinkedHashMap<>();
    all.put("Host", server);
    all.put("User-Agent", "Mozilla/5.0");
    all.put("Accept-Encoding", "gzip, deflate");
    all.put("Connection", "keep-alive");
    all.put("Pragma", "no-cache");
    Set<String> lower = new HashSet<>();
    headers.keySet().forEach(k -> lower.add(k.toLowerCase(java.util.Locale.ROOT)));
    all.keySet().removeIf(k -> lower.contains(k.toLowerCase(java.util.Locale.ROOT)));
    all.putAll(headers);
    return ch -> {
      dev.turnout.outbound.HeldInbound.addBefore(
          ch,
          new HttpDisguise(
              length -> {
                StringBuilder s = new StringBuilder(method).append(' ');
                s.append(paths.get(ThreadLocalRandom.current().nextInt(paths.size())));
                s.append(" HTTP/1.1\r\n");
                all.forEach((k, v) -> s.append(k).append(": ").append(v).append("\r\n"));
                return s.append("\r\n").toString();
              }));
      return ch.eventLoop().newSucceededFuture(null);
    };
  }
}
