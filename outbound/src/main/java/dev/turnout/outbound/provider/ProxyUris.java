package dev.turnout.outbound.provider;

import dev.turnout.config.Problems;
import dev.turnout.config.YamlFile;
import dev.turnout.config.YamlMapping;
import dev.turnout.config.YamlNode;
import dev.turnout.config.YamlNodes;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns one line of a URI-list subscription into the Clash {@code proxies:} entry it stands for, as
 * mihomo's converter does: {@code ss://} (SIP002, with {@code plugin=}, and the older all-base64
 * form), {@code ssr://}, {@code vmess://} (v2rayN's base64 JSON), {@code trojan://}, {@code
 * vless://}, {@code hysteria2://} ({@code hy2://}), {@code hysteria://}, {@code tuic://}, {@code
 * socks5://} ({@code socks://}), {@code http(s)://}, {@code wireguard://} and {@code anytls://}.
 * Whether Turnout can speak the result is decided later, as for any entry. Pure.
 */
final class ProxyUris {
  private ProxyUris() {}

  /**
   * The entry for {@code uri}, its nodes standing for {@code file:line}.
   *
   * @throws IllegalArgumentException saying why the line cannot be read (never quoting secrets)
   */
  static YamlMapping parse(String uri, String file, int line) {
    int colon = uri.indexOf("://");
    String scheme = colon > 0 ? uri.substring(0, colon).toLowerCase(java.util.Locale.ROOT) : "";
    Map<String, Object> entry =
        switch (scheme) {
          case "ss" -> shadowsocks(uri);
          case "ssr" -> shadowsocksR(uri);
          case "vmess" -> vmess(uri, file, line);
          case "trojan" -> trojan(UriParts.parse(uri));
          case "vless" -> vless(UriParts.parse(uri));
          case "hysteria2", "hy2" -> hysteria2(UriParts.parse(uri));
          case "hysteria" -> hysteria(UriParts.parse(uri));
          case "tuic" -> tuic(UriParts.parse(uri));
          case "socks", "socks5" -> socks(UriParts.parse(uri));
          case "http", "https" -> http(UriParts.parse(uri));
          case "wireguard", "wg" -> wireguard(UriParts.parse(uri));
          case "anytls" -> anytls(UriParts.parse(uri));
          case "" -> throw new IllegalArgumentException("not a proxy URI");
          default -> throw new IllegalArgumentException("unknown kind of proxy URI " + scheme);
        };
    return YamlNodes.mapping(file, line, entry);
  }

  private static Map<String, Object> entry(String name, String type, String server, int port) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("type", type);
    m.put("server", server);
    m.put("port", port);
    return m;
  }

  /** SIP002 {@code ss://BASE64(method:password)@host:port/?plugin=...#name}, or all base64. */
  private static Map<String, Object> shadowsocks(String uri) {
    String body = uri.substring("ss://".length());
    int hash = body.indexOf('#');
    String name = hash < 0 ? "" : body.substring(hash);
    String main = hash < 0 ? body : body.substring(0, hash);
    if (!main.contains("@")) { // ss://BASE64(method:password@host:port)#name
      int end = main.length();
      for (char c : new char[] {'/', '?'}) {
        end = main.indexOf(c) >= 0 ? Math.min(end, main.indexOf(c)) : end;
      }
      String decoded = UriParts.base64Text(main.substring(0, end));
      int at = decoded.lastIndexOf('@');
      if (at < 0) {
        throw new IllegalArgumentException("expected method:password@host:port");
      }
      UriParts p =
          UriParts.parse("ss://x@" + decoded.substring(at + 1) + main.substring(end) + name);
      return shadowsocks(p, decoded.substring(0, at));
    }
    UriParts p = UriParts.parse(uri);
    String info = UriParts.decode(p.userInfo(), false);
    return shadowsocks(p, info.contains(":") ? info : UriParts.base64Text(info));
  }

  private static Map<String, Object> shadowsocks(UriParts p, String methodPassword) {
    int colon = methodPassword.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("no cipher and password");
    }
    Map<String, Object> m = entry(p.name(), "ss", p.host(), p.requiredPort());
    m.put("cipher", methodPassword.substring(0, colon));
    m.put("password", methodPassword.substring(colon + 1));
    m.put("udp", true);
    String plugin = p.param("plugin", null);
    if (plugin != null) {
      plugin(m, plugin);
    }
    return m;
  }

  /** {@code obfs-local;obfs=http;obfs-host=x} and {@code v2ray-plugin;tls;host=x;path=/p}. */
  private static void plugin(Map<String, Object> m, String plugin) {
    String[] parts = plugin.split(";");
    Map<String, String> opts = new LinkedHashMap<>();
    for (String part : Arrays.asList(parts).subList(1, parts.length)) {
      int eq = part.indexOf('=');
      opts.put(eq < 0 ? part : part.substring(0, eq), eq < 0 ? "true" : part.substring(eq + 1));
    }
    Map<String, Object> pluginOpts = new LinkedHashMap<>();
    switch (parts[0]) {
      case "obfs-local", "simple-obfs", "obfs" -> {
        m.put("plugin", "obfs");
        pluginOpts.put("mode", opts.getOrDefault("obfs", "http"));
        pluginOpts.put("host", opts.get("obfs-host"));
      }
      case "v2ray-plugin" -> {
        m.put("plugin", "v2ray-plugin");
        pluginOpts.put("mode", opts.getOrDefault("mode", "websocket"));
        pluginOpts.put("tls", opts.containsKey("tls"));
        pluginOpts.put("host", opts.get("host"));
        pluginOpts.put("path", opts.get("path"));
      }
      default -> {
        m.put("plugin", parts[0]);
        pluginOpts.putAll(opts);
      }
    }
    m.put("plugin-opts", pluginOpts);
  }

  /** {@code ssr://BASE64(host:port:protocol:method:obfs:BASE64(password)/?remarks=...)}. */
  private static Map<String, Object> shadowsocksR(String uri) {
    String decoded = UriParts.base64Text(uri.substring("ssr://".length()));
    int q = decoded.indexOf("/?");
    String main = q < 0 ? decoded : decoded.substring(0, q);
    String[] f = main.split(":");
    if (f.length < 6) {
      throw new IllegalArgumentException("expected host:port:protocol:method:obfs:password");
    }
    int n = f.length; // an IPv6 host has colons of its own
    String host = String.join(":", Arrays.copyOfRange(f, 0, n - 5));
    Map<String, String> params = new LinkedHashMap<>();
    if (q >= 0) {
      for (String pair : decoded.substring(q + 2).split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          params.put(pair.substring(0, eq), UriParts.base64Text(pair.substring(eq + 1)));
        }
      }
    }
    int port = UriParts.parse("ssr://" + "h:" + f[n - 5]).requiredPort();
    String name = params.getOrDefault("remarks", host + ":" + port);
    Map<String, Object> m = entry(name.isBlank() ? host + ":" + port : name, "ssr", host, port);
    m.put("protocol", f[n - 4]);
    m.put("cipher", f[n - 3]);
    m.put("obfs", f[n - 2]);
    m.put("password", UriParts.base64Text(f[n - 1]));
    m.put("obfs-param", params.get("obfsparam"));
    m.put("protocol-param", params.get("protoparam"));
    return m;
  }

  /** v2rayN's {@code vmess://BASE64(JSON)}; the JSON is read as YAML, which it is. */
  private static Map<String, Object> vmess(String uri, String file, int line) {
    String json = UriParts.base64Text(uri.substring("vmess://".length()));
    Problems problems = new Problems(file);
    Optional<YamlNode> root = YamlFile.parse(file, json, problems);
    if (root.isEmpty() || !(root.get() instanceof YamlMapping j) || problems.hasErrors()) {
      throw new IllegalArgumentException("the vmess link is not base64 JSON");
    }
    String server = j.text("add").orElseThrow(() -> new IllegalArgumentException("no add"));
    int port = UriParts.parse("vmess://h:" + j.text("port").orElse("")).requiredPort();
    String name = j.text("ps").filter(s -> !s.isBlank()).orElse(server + ":" + port);
    Map<String, Object> m = entry(name, "vmess", server, port);
    m.put("uuid", j.text("id").orElse(""));
    m.put("alterId", j.text("aid").filter(s -> !s.isBlank()).orElse("0"));
    m.put("cipher", j.text("scy").filter(s -> !s.isBlank()).orElse("auto"));
    String net = j.text("net").filter(s -> !s.isBlank()).orElse("tcp");
    String host = j.text("host").orElse("");
    String path = j.text("path").orElse("");
    if ("tls".equals(j.text("tls").orElse(""))) {
      m.put("tls", true);
      j.text("sni").filter(s -> !s.isBlank()).ifPresent(sni -> m.put("servername", sni));
    }
    if (net.equals("tcp") && "http".equals(j.text("type").orElse(""))) {
      m.put("network", "http");
      m.put("http-opts", Map.of("path", List.of(path.isEmpty() ? "/" : path)));
    } else if (!net.equals("tcp")) {
      transport(m, net, host, path, path);
    }
    return m;
  }

  /** The Clash keys of a transport: {@code ws-opts}, {@code grpc-opts}, {@code h2-opts}. */
  private static void transport(
      Map<String, Object> m, String network, String host, String path, String service) {
    m.put("network", network);
    switch (network) {
      case "ws", "httpupgrade" -> {
        Map<String, Object> ws = new LinkedHashMap<>();
        ws.put("path", path.isEmpty() ? "/" : path);
        if (!host.isEmpty()) {
          ws.put("headers", Map.of("Host", host));
        }
        m.put("ws-opts", ws);
      }
      case "grpc" -> m.put("grpc-opts", Map.of("grpc-service-name", service));
      case "h2" -> {
        Map<String, Object> h2 = new LinkedHashMap<>();
        h2.put("path", path.isEmpty() ? "/" : path);
        if (!host.isEmpty()) {
          h2.put("host", List.of(host));
        }
        m.put("h2-opts", h2);
      }
      default -> {
        // xhttp, kcp, quic: the network key alone says it
      }
    }
  }

  private static void tlsParams(Map<String, Object> m, UriParts p, String sniKey) {
    String sni = p.param("sni", p.param("peer", null));
    if (sni != null) {
      m.put(sniKey, sni);
    }
    if (p.flag("allowInsecure") || p.flag("insecure") || p.flag("allow_insecure")) {
      m.put("skip-cert-verify", true);
    }
    String alpn = p.param("alpn", null);
    if (alpn != null) {
      m.put("alpn", List.of(alpn.split(",")));
    }
  }

  private static String secret(UriParts p) {
    if (p.userInfo() == null || p.userInfo().isEmpty()) {
      throw new IllegalArgumentException("no password");
    }
    return UriParts.decode(p.userInfo(), false);
  }

  private static Map<String, Object> trojan(UriParts p) {
    Map<String, Object> m = entry(p.name(), "trojan", p.host(), p.port() < 0 ? 443 : p.port());
    m.put("password", secret(p));
    tlsParams(m, p, "sni");
    String network = p.param("type", "tcp");
    if (!network.equals("tcp")) {
      transport(m, network, p.param("host", ""), p.param("path", ""), p.param("serviceName", ""));
    }
    return m;
  }

  private static Map<String, Object> vless(UriParts p) {
    Map<String, Object> m = entry(p.name(), "vless", p.host(), p.requiredPort());
    m.put("uuid", secret(p));
    String security = p.param("security", "none");
    if (!security.equals("none")) {
      m.put("tls", true);
      tlsParams(m, p, "servername");
    }
    m.put("flow", p.param("flow", null));
    m.put("client-fingerprint", p.param("fp", null));
    if (security.equals("reality")) {
      Map<String, Object> reality = new LinkedHashMap<>();
      reality.put("public-key", p.param("pbk", ""));
      reality.put("short-id", p.param("sid", null));
      m.put("reality-opts", reality);
    }
    String network = p.param("type", "tcp");
    if (!network.equals("tcp")) {
      transport(m, network, p.param("host", ""), p.param("path", ""), p.param("serviceName", ""));
    }
    return m;
  }

  private static Map<String, Object> hysteria2(UriParts p) {
    Map<String, Object> m = entry(p.name(), "hysteria2", p.host(), p.port() < 0 ? 443 : p.port());
    m.put("password", secret(p));
    tlsParams(m, p, "sni");
    m.put("obfs", p.param("obfs", null));
    m.put("obfs-password", p.param("obfs-password", null));
    return m;
  }

  private static Map<String, Object> hysteria(UriParts p) {
    Map<String, Object> m = entry(p.name(), "hysteria", p.host(), p.requiredPort());
    m.put("auth-str", p.param("auth", null));
    m.put("protocol", p.param("protocol", null));
    m.put("up", p.param("upmbps", null));
    m.put("down", p.param("downmbps", null));
    m.put("obfs", p.param("obfsParam", null));
    tlsParams(m, p, "sni");
    return m;
  }

  private static Map<String, Object> tuic(UriParts p) {
    Map<String, Object> m = entry(p.name(), "tuic", p.host(), p.requiredPort());
    String info = secret(p);
    int colon = info.indexOf(':');
    m.put("uuid", colon < 0 ? info : info.substring(0, colon));
    m.put("password", colon < 0 ? null : info.substring(colon + 1));
    m.put("congestion-controller", p.param("congestion_control", null));
    m.put("udp-relay-mode", p.param("udp_relay_mode", null));
    tlsParams(m, p, "sni");
    return m;
  }

  /** {@code socks5://user:pass@host:port}; the user part may be base64 (v2rayN). */
  private static Map<String, Object> socks(UriParts p) {
    Map<String, Object> m = entry(p.name(), "socks5", p.host(), p.requiredPort());
    userPassword(m, p);
    m.put("udp", true);
    return m;
  }

  private static Map<String, Object> http(UriParts p) {
    boolean tls = p.scheme().equals("https");
    Map<String, Object> m =
        entry(p.name(), "http", p.host(), p.port() < 0 ? tls ? 443 : 80 : p.port());
    userPassword(m, p);
    if (tls) {
      m.put("tls", true);
      if (p.flag("allowInsecure") || p.flag("insecure")) {
        m.put("skip-cert-verify", true);
      }
    }
    return m;
  }

  private static void userPassword(Map<String, Object> m, UriParts p) {
    if (p.userInfo() == null || p.userInfo().isEmpty()) {
      return;
    }
    String info = UriParts.decode(p.userInfo(), false);
    if (!info.contains(":")) {
      try {
        info = UriParts.base64Text(p.userInfo());
      } catch (IllegalArgumentException e) {
        // a user name alone
      }
    }
    int colon = info.indexOf(':');
    m.put("username", colon < 0 ? info : info.substring(0, colon));
    m.put("password", colon < 0 ? null : info.substring(colon + 1));
  }

  private static Map<String, Object> wireguard(UriParts p) {
    Map<String, Object> m = entry(p.name(), "wireguard", p.host(), p.requiredPort());
    m.put("private-key", secret(p));
    m.put("public-key", p.param("publickey", null));
    m.put("ip", p.param("address", p.param("ip", null)));
    m.put("mtu", p.param("mtu", null));
    return m;
  }

  private static Map<String, Object> anytls(UriParts p) {
    Map<String, Object> m = entry(p.name(), "anytls", p.host(), p.requiredPort());
    m.put("password", secret(p));
    tlsParams(m, p, "sni");
    return m;
  }
}
