package dev.turnout.outbound.provider;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One proxy URI split as {@code scheme://userinfo@host:port/path?query#fragment}, leniently:
 * subscription services write raw spaces and Unicode in names, which {@link java.net.URI} refuses.
 * Query values are percent-decoded with {@code +} as a space (as Go's {@code url.Query} does), the
 * fragment without. Pure and immutable.
 */
record UriParts(
    String scheme,
    String userInfo,
    String host,
    int port,
    String path,
    Map<String, String> query,
    String fragment) {

  /**
   * Splits {@code uri}; {@code userInfo}, {@code path} and {@code fragment} may be null; a port
   * that is absent is -1.
   *
   * @throws IllegalArgumentException when there is no scheme, host or valid port
   */
  static UriParts parse(String uri) {
    int colon = uri.indexOf("://");
    if (colon <= 0) {
      throw new IllegalArgumentException("not a URI");
    }
    String scheme = uri.substring(0, colon).toLowerCase(Locale.ROOT);
    String rest = uri.substring(colon + 3);
    String fragment = null;
    int hash = rest.indexOf('#');
    if (hash >= 0) {
      fragment = decode(rest.substring(hash + 1), false);
      rest = rest.substring(0, hash);
    }
    Map<String, String> query = new LinkedHashMap<>();
    int question = rest.indexOf('?');
    if (question >= 0) {
      for (String pair : rest.substring(question + 1).split("&")) {
        if (!pair.isEmpty()) {
          int eq = pair.indexOf('=');
          String key = decode(eq < 0 ? pair : pair.substring(0, eq), true);
          query.putIfAbsent(key, eq < 0 ? "" : decode(pair.substring(eq + 1), true));
        }
      }
      rest = rest.substring(0, question);
    }
    String path = null;
    int slash = rest.indexOf('/');
    if (slash >= 0) {
      path = rest.substring(slash);
      rest = rest.substring(0, slash);
    }
    String userInfo = null;
    int at = rest.lastIndexOf('@');
    if (at >= 0) {
      userInfo = rest.substring(0, at);
      rest = rest.substring(at + 1);
    }
    String host = rest;
    int port = -1;
    int portColon = rest.lastIndexOf(':');
    if (portColon >= 0 && rest.indexOf(']', portColon) < 0) {
      host = rest.substring(0, portColon);
      port = port(rest.substring(portColon + 1));
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException("no server");
    }
    return new UriParts(scheme, userInfo, host, port, path, Map.copyOf(query), fragment);
  }

  private static int port(String text) {
    try {
      int port = Integer.parseInt(text);
      if (port >= 1 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("not a port: " + text);
  }

  /** The port, which must be given. */
  int requiredPort() {
    if (port < 0) {
      throw new IllegalArgumentException("no port");
    }
    return port;
  }

  /** The query value of {@code key}, or {@code fallback}. */
  String param(String key, String fallback) {
    String v = query.get(key);
    return v == null || v.isEmpty() ? fallback : v;
  }

  /** True for {@code 1} or {@code true}. */
  boolean flag(String key) {
    String v = query.get(key);
    return "1".equals(v) || "true".equalsIgnoreCase(v);
  }

  /** The name the URI gives its proxy: the fragment, else {@code host:port}. */
  String name() {
    return fragment != null && !fragment.isBlank() ? fragment.strip() : host + ":" + port;
  }

  /** Percent-decodes UTF-8 text; with {@code plusIsSpace}, {@code +} too. Bad escapes stay. */
  static String decode(String s, boolean plusIsSpace) {
    if (s.indexOf('%') < 0 && !(plusIsSpace && s.indexOf('+') >= 0)) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < s.length()) {
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi >= 0 && lo >= 0) {
          out.write(hi * 16 + lo);
          i += 2;
          continue;
        }
      }
      if (c == '+' && plusIsSpace) {
        out.write(' ');
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
          b = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        out.write(b, 0, b.length);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /**
   * Base64 in either alphabet, with or without padding and line breaks, as subscriptions write it.
   *
   * @throws IllegalArgumentException when it is not base64
   */
  static byte[] base64(String text) {
    String s = text.replaceAll("\\s", "").replace('-', '+').replace('_', '/');
    int pad = s.indexOf('=');
    if (pad >= 0) {
      s = s.substring(0, pad);
    }
    if (s.length() % 4 == 1) {
      throw new IllegalArgumentException("not base64");
    }
    return Base64.getDecoder().decode(s + "==".substring(0, (4 - s.length() % 4) % 4));
  }

  /** {@link #base64} as UTF-8 text. */
  static String base64Text(String text) {
    return new String(base64(text), StandardCharsets.UTF_8);
  }
}
