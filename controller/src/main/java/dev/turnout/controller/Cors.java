package dev.turnout.controller;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Cross-origin access for dashboards served from another origin, with go-chi/cors semantics as
 * mihomo configures it ({@code external-controller-cors}). A preflight ({@code OPTIONS} with {@code
 * Access-Control-Request-Method}) is answered 200 without authentication; it carries the allow
 * headers only when the origin is allowed, the method is one the API uses and every requested
 * header is {@code Content-Type} or {@code Authorization}. Thread-safe.
 */
final class Cors {
  private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");
  private static final Set<String> HEADERS = Set.of("content-type", "authorization", "origin");
  private static final String ALL = "*";

  private final List<String> origins;
  private final boolean privateNetwork;

  Cors(List<String> origins, boolean privateNetwork) {
    this.origins = List.copyOf(origins);
    this.privateNetwork = privateNetwork;
  }

  static boolean isPreflight(String method, HttpHeaders request) {
    return method.equals("OPTIONS")
        && request.contains(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
  }

  /** Adds the headers an actual (not preflight) response carries. */
  void actual(HttpHeaders request, HttpHeaders response) {
    response.add(HttpHeaderNames.VARY, "Origin");
    String origin = request.get(HttpHeaderNames.ORIGIN);
    if (origin != null && allowed(origin)) {
      response.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, allowOrigin(origin));
    }
  }

  /** Adds the headers of the answer to a preflight. */
  void preflight(HttpHeaders request, HttpHeaders response) {
    response.add(
        HttpHeaderNames.VARY,
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
    String origin = request.get(HttpHeaderNames.ORIGIN);
    String method = request.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
    String headers = request.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS, "");
    if (origin == null
        || !allowed(origin)
        || !METHODS.contains(method.toUpperCase(Locale.ROOT))
        || !headersAllowed(headers)) {
      return;
    }
    response.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, allowOrigin(origin));
    response.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, method.toUpperCase(Locale.ROOT));
    if (!headers.isBlank()) {
      response.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, headers);
    }
    response.set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "300");
    if (privateNetwork && "true".equals(request.get("Access-Control-Request-Private-Network"))) {
      response.set("Access-Control-Allow-Private-Network", "true");
    }
  }

  private boolean allowed(String origin) {
    return origins.contains(ALL) || origins.contains(origin);
  }

  private String allowOrigin(String origin) {
    return origins.contains(ALL) ? ALL : origin;
  }

  private static boolean headersAllowed(String list) {
    for (String h : list.split(",")) {
      String name = h.trim().toLowerCase(Locale.ROOT);
      if (!name.isEmpty() && !HEADERS.contains(name)) {
        return false;
      }
    }
    return true;
  }
}
