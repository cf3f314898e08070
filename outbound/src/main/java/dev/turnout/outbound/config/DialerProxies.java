package dev.turnout.outbound.config;

import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyOutbound;
import dev.turnout.outbound.group.Group;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code dialer-proxy}: a proxy whose server is reached through another proxy or group. Read with
 * each proxy, resolved once every proxy and group exists: an unknown name, or one that leads back
 * to the proxy itself (directly, through other dialer proxies or through a group's members), is an
 * error on that proxy, which is then left out. Not thread-safe; one per load.
 */
final class DialerProxies {
  private final Map<String, Fields> wanted = new LinkedHashMap<>();

  /** Reads {@code dialer-proxy} of one proxy entry. */
  void read(Fields f) {
    String via = f.string("dialer-proxy", false);
    if (via != null && !via.isEmpty()) {
      wanted.put(f.name(), f);
    }
  }

  /** Names of proxies whose dialer proxy is wrong; they must not be used. */
  Set<String> resolve(Map<String, Outbound> all) {
    Set<String> bad = new HashSet<>();
    for (Map.Entry<String, Fields> e : wanted.entrySet()) {
      Fields f = e.getValue();
      String via = f.string("dialer-proxy", false);
      Outbound self = all.get(e.getKey());
      Outbound through = all.get(via);
      if (!(self instanceof ProxyOutbound proxy)) {
        continue; // not built: its errors are already reported
      }
      if (through == null) {
        f.error("dialer-proxy", "no proxy or group named \"" + via + "\"");
        bad.add(e.getKey());
      } else if (reaches(through, self, all, new HashSet<>())) {
        f.error("dialer-proxy", "\"" + via + "\" leads back to this proxy (a cycle)");
        bad.add(e.getKey());
      } else {
        proxy.dialerProxy(through);
      }
    }
    return bad;
  }

  /** True when connecting through {@code from} may end up dialing through {@code target}. */
  private boolean reaches(
      Outbound from, Outbound target, Map<String, Outbound> all, Set<String> seen) {
    if (from == target) {
      return true;
    }
    if (!seen.add(from.name())) {
      return false;
    }
    if (from instanceof Group g) {
      for (String m : g.members()) {
        Outbound member = all.get(m);
        if (member != null && reaches(member, target, all, seen)) {
          return true;
        }
      }
    }
    Fields f = wanted.get(from.name());
    if (f != null) {
      Outbound next = all.get(f.string("dialer-proxy", false));
      return next != null && reaches(next, target, all, seen);
    }
    return false;
  }
}
