package dev.turnout.outbound.shadowsocks;

import dev.turnout.outbound.Fields;
import dev.turnout.outbound.HeldInbound;
import dev.turnout.outbound.Transport;
import dev.turnout.outbound.tls.Tls;
import dev.turnout.outbound.transport.HttpDisguise;
import dev.turnout.outbound.transport.TransportConfig;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reads {@code plugin} and {@code plugin-opts} of a Shadowsocks entry into the transport below the
 * Shadowsocks codec: simple-obfs ({@code obfs}, modes http and tls) and v2ray-plugin (mode
 * websocket, with or without TLS and Mux.Cool). Other plugins are refused with a reason.
 */
final class PluginConfig {
  private PluginConfig() {}

  /** The transport {@code f} asks for: {@link Transport#TCP} without a plugin, null on error. */
  static Transport read(Fields f, String server, int port) {
    String plugin = f.string("plugin", false);
    if (plugin == null || plugin.isEmpty()) {
      if (f.has("plugin-opts")) {
        f.warn("plugin-opts", "ignored without plugin");
      }
      return Transport.TCP;
    }
    Fields o = f.nested("plugin-opts");
    if (o == null) {
      return null;
    }
    return switch (plugin) {
      case "obfs" -> obfs(o, server, port);
      case "v2ray-plugin" -> v2rayPlugin(o, server, port);
      default -> {
        f.unsupported(
            "plugin",
            "plugin \""
                + plugin
                + "\" is not supported; Turnout carries obfs (simple-obfs) and v2ray-plugin");
        yield null;
      }
    };
  }

  private static Transport obfs(Fields o, String server, int port) {
    String mode = o.oneOf("mode", List.of("http", "tls"), null);
    String host = o.string("host", false);
    o.unknownKeys(Set.of("mode", "host"));
    if (mode == null) {
      return null;
    }
    String h = host == null || host.isEmpty() ? "bing.com" : host;
    if ("tls".equals(mode)) {
      SecureRandom random = new SecureRandom();
      return ch -> {
        HeldInbound.addBefore(ch, new ObfsTlsCodec(h, random, System.currentTimeMillis() / 1000));
        return ch.eventLoop().newSucceededFuture(null);
      };
    }
    String hostHeader = port == 80 ? h : h + ":" + port;
    return ch -> {
      HeldInbound.addBefore(ch, new HttpDisguise(length -> obfsHttpHead(hostHeader, length)));
      return ch.eventLoop().newSucceededFuture(null);
    };
  }

  /** simple-obfs http's request head, as obfs-local writes it (and mihomo after it). */
  static String obfsHttpHead(String host, int length) {
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    return "GET / HTTP/1.1\r\nHost: "
        + host
        + "\r\nUser-Agent: curl/7."
        + ThreadLocalRandom.current().nextInt(54)
        + "."
        + ThreadLocalRandom.current().nextInt(2)
        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
        + Base64.getEncoder().encodeToString(key)
        + "\r\nContent-Length: "
        + length
        + "\r\n\r\n";
  }

  private static Transport v2rayPlugin(Fields o, String server, int port) {
    String mode = o.oneOf("mode", List.of("websocket"), "websocket");
    boolean tls = o.bool("tls", false);
    String host = o.string("host", false);
    String path = o.string("path", false);
    boolean skip = o.bool("skip-cert-verify", false);
    boolean mux = o.bool("mux", true);
    Map<String, String> headers = o.stringMap("headers");
    String fingerprint = o.string("fingerprint", false);
    o.unknownKeys(
        Set.of("mode", "tls", "host", "path", "skip-cert-verify", "mux", "headers", "fingerprint"));
    if (mode == null) {
      return null;
    }
    String h = host == null || host.isEmpty() ? server : host;
    Tls secure = null;
    if (tls) {
      if (skip) {
        o.warnOnce("skip-cert-verify", TransportConfig.SKIP_VERIFY);
      }
      byte[] pin = null;
      if (fingerprint != null && !fingerprint.isEmpty()) {
        pin = TransportConfig.pin(fingerprint);
        if (pin == null) {
          o.error("fingerprint", "expected the SHA-256 of a certificate, 64 hex digits");
          return null;
        }
      }
      secure = new Tls(new Tls.Options(h, skip, List.of("http/1.1"), pin));
    }
    Transport ws = TransportConfig.webSocket(secure, h, port, path == null ? "/" : path, headers);
    if (!mux) {
      o.error(
          "mux",
          "v2ray-plugin without mux is not supported: the v2ray-plugin server Turnout is tested"
              + " against (Debian's) answers only Mux.Cool framing");
      return null;
    }
    return ws.then(
        ch -> {
          HeldInbound.addBefore(ch, new MuxCoolCodec());
          return ch.eventLoop().newSucceededFuture(null);
        });
  }
}
