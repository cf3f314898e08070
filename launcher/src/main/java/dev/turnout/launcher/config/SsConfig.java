package dev.turnout.launcher.config;

import dev.turnout.config.MappingReader;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.outbound.shadowsocks.SsServerCodec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * mihomo's top-level {@code ss-config: ss://CIPHER:PASSWORD@HOST:PORT}: a Shadowsocks listener
 * named {@code DEFAULT-SHADOWSOCKS}. The user part may be base64 (as in SIP002 links) or
 * percent-encoded. An empty HOST listens where the other top-level ports do (127.0.0.1 unless
 * allow-lan; mihomo listens on every address), a written one on that address. What cannot be read
 * starts no listener, with a warning: nothing is routed otherwise than written.
 */
final class SsConfig {
  private static final String KEY = "ss-config";
  private static final String FORM = "expected ss://CIPHER:PASSWORD@:PORT";

  private SsConfig() {}

  /** The listener {@code ss-config} asks for, or null (none written, or unreadable: warned). */
  static ListenerSpec read(MappingReader top, InetAddress topLevelBind) {
    String text = top.string(KEY, null);
    if (text == null || text.isBlank()) {
      return null;
    }
    text = text.strip();
    int at = text.lastIndexOf('@');
    if (!text.regionMatches(true, 0, "ss://", 0, 5) || at < 5) {
      return skip(top, FORM);
    }
    String user = userInfo(text.substring(5, at));
    int colon = user == null ? -1 : user.indexOf(':');
    if (colon <= 0) {
      return skip(top, FORM + " (the user part as CIPHER:PASSWORD, plain or base64)");
    }
    String hostPort = text.substring(at + 1).replaceFirst("[/?#].*$", "");
    int portColon = hostPort.lastIndexOf(':');
    int port = portColon < 0 ? -1 : port(hostPort.substring(portColon + 1));
    if (port < 1) {
      return skip(top, FORM + " (a port from 1 to 65535)");
    }
    String host = hostPort.substring(0, portColon);
    InetAddress address = host.isEmpty() ? topLevelBind : IpLiterals.parseHostOrNull(host);
    if (address == null) {
      return skip(top, "the host must be empty or an IP address, got \"" + host + "\"");
    }
    try {
      SsServerCodec codec = SsServerCodec.of(user.substring(0, colon), user.substring(colon + 1));
      return ListenerSpec.shadowsocks( // TCP and UDP, as mihomo's ss-config listener
          ListenerSpec.Kind.SHADOWSOCKS.defaultName(),
          new InetSocketAddress(address, port),
          codec,
          null,
          true);
    } catch (IllegalArgumentException e) {
      return skip(top, e.getMessage());
    }
  }

  /** {@code cipher:password}, percent-decoded, or base64-decoded when it has no colon. */
  private static String userInfo(String raw) {
    String decoded;
    try {
      decoded = URLDecoder.decode(raw, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (decoded.indexOf(':') >= 0) {
      return decoded;
    }
    try {
      String padded = raw.replace('-', '+').replace('_', '/');
      return new String(Base64.getMimeDecoder().decode(padded), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static int port(String text) {
    try {
      int port = Integer.parseInt(text.strip());
      return port <= 65535 ? port : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static ListenerSpec skip(MappingReader top, String why) {
    top.warning(KEY, why + "; no Shadowsocks listener is started"); // never quotes the password
    return null;
  }
}
