package dev.turnout.controller;

import io.netty.handler.codec.http.HttpMethod;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The API's routes: a method and a path pattern whose segments are literals or {@code {name}}
 * captures, matched against decoded segments in the order the routes were added. Built once, then
 * read-only and thread-safe.
 */
final class Routes {
  /** Handles one request; may answer later, on any thread, through the exchange. */
  interface Endpoint {
    void handle(Exchange exchange) throws Exception;
  }

  /** The outcome of a lookup: an endpoint with its captures, or why there is none. */
  record Match(Endpoint endpoint, Map<String, String> params, boolean pathKnown) {
    static final Match UNKNOWN_PATH = new Match(null, Map.of(), false);
    static final Match WRONG_METHOD = new Match(null, Map.of(), true);
  }

  private record Route(HttpMethod method, String[] pattern, Endpoint endpoint) {}

  private final List<Route> routes = new ArrayList<>();

  Routes add(HttpMethod method, String pattern, Endpoint endpoint) {
    String[] parts = pattern.equals("/") ? new String[0] : pattern.substring(1).split("/", -1);
    routes.add(new Route(method, parts, endpoint));
    return this;
  }

  Match match(HttpMethod method, List<String> segments) {
    boolean pathKnown = false;
    for (Route route : routes) {
      Map<String, String> params = captures(route.pattern, segments);
      if (params == null) {
        continue;
      }
      if (route.method.equals(method)) {
        return new Match(route.endpoint, params, true);
      }
      pathKnown = true;
    }
    return pathKnown ? Match.WRONG_METHOD : Match.UNKNOWN_PATH;
  }

  private static Map<String, String> captures(String[] pattern, List<String> segments) {
    if (pattern.length != segments.size()) {
      return null;
    }
    Map<String, String> params = null;
    for (int i = 0; i < pattern.length; i++) {
      String p = pattern[i];
      if (p.startsWith("{") && p.endsWith("}")) {
        if (params == null) {
          params = new HashMap<>(4);
        }
        params.put(p.substring(1, p.length() - 1), segments.get(i));
      } else if (!p.equals(segments.get(i))) {
        return null;
      }
    }
    return params == null ? Map.of() : params;
  }
}
