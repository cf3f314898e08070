package dev.turnout.inbound.http;

import dev.turnout.netbase.HostNames;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.outbound.Destination;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * What an HTTP proxy does to the messages it passes on, as functions of messages (no I/O): where an
 * absolute-form or CONNECT request goes, the request rewritten to origin form for the server, the
 * hop-by-hop headers of either side dropped (RFC 9110, section 7.6.1, and the {@code Proxy-*}
 * headers meant for this proxy), Basic proxy credentials, and the proxy's own error responses.
 * Stateless and thread-safe.
 */
final class ProxyRequests {
  /** Connection-specific headers; never passed on. Transfer-Encoding is re-framed, so kept. */
  private static final List<String> HOP_BY_HOP =
      List.of(
          "connection",
          "keep-alive",
          "proxy-connection",
          "proxy-authorization",
          "proxy-authenticate",
          "te",
          "trailer",
          "upgrade");

  private ProxyRequests() {}

  /** Where {@code host:port} in a CONNECT request goes (port 443 when absent); null if unusable. */
  static Destination authority(String authority) {
    return parseAuthority(authority, 443);
  }

  /**
   * Where an absolute-form request ({@code GET http://host[:port]/path}) goes; null when the target
   * is not an absolute {@code http} URI (origin-form requests are not for a proxy; {@code https}
   * goes through CONNECT).
   */
  static Destination target(HttpRequest request) {
    String authority = rawAuthority(request.uri());
    return authority == null ? null : parseAuthority(stripUserInfo(authority), 80);
  }

  /**
   * {@code request} as the server must see it: origin-form target, {@code Host} from the URI's
   * authority, hop-by-hop headers gone. Changes and returns {@code request}.
   */
  static HttpRequest toOriginForm(HttpRequest request) {
    String uri = request.uri();
    String authority = stripUserInfo(rawAuthority(uri));
    int start = uri.indexOf("//") + 2 + rawAuthority(uri).length();
    String rest = uri.substring(start);
    if (rest.isEmpty() || rest.charAt(0) != '/') {
      rest = "/" + rest; // "http://host?q" and "http://host" have the path "/"
    }
    int fragment = rest.indexOf('#');
    request.setUri(fragment < 0 ? rest : rest.substring(0, fragment));
    dropHopByHop(request);
    // Host first, as clients write it; the rest in the client's order.
    HttpHeaders others = request.headers().copy().remove(HttpHeaderNames.HOST);
    request.headers().clear().add("Host", authority).add(others);
    return request;
  }

  /** Removes the hop-by-hop headers of {@code message}, those its Connection header names too. */
  static void dropHopByHop(HttpMessage message) {
    HttpHeaders headers = message.headers();
    List<String> named = new ArrayList<>();
    for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
      for (String token : value.split(",")) {
        String name = token.trim().toLowerCase(Locale.ROOT);
        if (!name.isEmpty()) {
          named.add(name);
        }
      }
    }
    for (String name : named) {
      if (!name.equals("transfer-encoding")) {
        headers.remove(name);
      }
    }
    HOP_BY_HOP.forEach(headers::remove);
  }

  /**
   * Whether the client wants its connection kept after this exchange: HTTP/1.1 unless it says
   * {@code close}; HTTP/1.0 only with {@code keep-alive} in Connection or Proxy-Connection.
   */
  static boolean keepAlive(HttpRequest request) {
    HttpHeaders headers = request.headers();
    if (headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)
        || headers.containsValue("proxy-connection", HttpHeaderValues.CLOSE, true)) {
      return false;
    }
    if (request.protocolVersion().isKeepAliveDefault()) {
      return true;
    }
    return headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE, true)
        || headers.containsValue("proxy-connection", HttpHeaderValues.KEEP_ALIVE, true);
  }

  /** The user and password of a {@code Proxy-Authorization: Basic ...} header, or null. */
  static String[] basicCredentials(HttpRequest request) {
    String value = request.headers().get(HttpHeaderNames.PROXY_AUTHORIZATION);
    if (value == null || value.length() < 6 || !value.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(value.substring(6).trim());
    } catch (IllegalArgumentException e) {
      return null;
    }
    String text = new String(decoded, StandardCharsets.UTF_8);
    int colon = text.indexOf(':');
    return colon < 0 ? null : new String[] {text.substring(0, colon), text.substring(colon + 1)};
  }

  /**
   * The proxy's own answer, {@code Connection: close} (the connection ends after it): a short text
   * body; 407 asks for Basic credentials.
   */
  static FullHttpResponse error(HttpResponseStatus status, String text) {
    byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
    HttpHeaders headers = response.headers();
    headers.set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    headers.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    if (status.equals(HttpResponseStatus.PROXY_AUTHENTICATION_REQUIRED)) {
      headers.set(HttpHeaderNames.PROXY_AUTHENTICATE, "Basic realm=\"Turnout\"");
    }
    return response;
  }

  /** The authority of {@code http://AUTHORITY/...}, as written, or null. */
  private static String rawAuthority(String uri) {
    if (uri.length() < 8 || !uri.regionMatches(true, 0, "http://", 0, 7)) {
      return null;
    }
    int end = 7;
    while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
      end++;
    }
    return uri.substring(7, end);
  }

  private static String stripUserInfo(String authority) {
    return authority == null ? null : authority.substring(authority.lastIndexOf('@') + 1);
  }

  /** {@code host}, {@code host:port}, {@code [v6]:port}; null when malformed. */
  private static Destination parseAuthority(String authority, int defaultPort) {
    if (authority == null || authority.isEmpty()) {
      return null;
    }
    String host;
    String port = null;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0) {
        return null;
      }
      host = authority.substring(0, close + 1);
      if (close + 1 < authority.length()) {
        if (authority.charAt(close + 1) != ':') {
          return null;
        }
        port = authority.substring(close + 2);
      }
    } else {
      int colon = authority.lastIndexOf(':');
      host = colon < 0 ? authority : authority.substring(0, colon);
      port = colon < 0 ? null : authority.substring(colon + 1);
    }
    int number = defaultPort;
    if (port != null) {
      if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
        return null;
      }
      number = Integer.parseInt(port);
      if (number < 1 || number > 65535) {
        return null;
      }
    }
    InetAddress literal = IpLiterals.parseHostOrNull(host);
    if (literal != null) {
      return new Destination(null, literal, number);
    }
    if (!HostNames.valid(host)) {
      return null;
    }
    return new Destination(host.toLowerCase(Locale.ROOT), null, number);
  }
}
