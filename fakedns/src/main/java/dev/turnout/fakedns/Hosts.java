package dev.turnout.fakedns;

import dev.turnout.netbase.IpLiterals;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Clash {@code hosts:} entries answered locally: a name (or a {@link DomainFilter} pattern such as
 * {@code +.example.com} or {@code *.lan}) to one or more literal addresses. Exact names win over
 * patterns; patterns are tried in the order given. Immutable and thread-safe.
 */
public final class Hosts {
  private static final Hosts EMPTY = new Hosts(Map.of(), List.of());

  private record Pattern(DomainFilter filter, List<InetAddress> addresses) {}

  private final Map<String, List<InetAddress>> exact;
  private final List<Pattern> patterns;

  private Hosts(Map<String, List<InetAddress>> exact, List<Pattern> patterns) {
    this.exact = exact;
    this.patterns = patterns;
  }

  /**
   * Builds the table from {@code name -> addresses}. Addresses must be IPv4 or IPv6 literals (a
   * name would need resolving, which Turnout does not do for hosts entries).
   *
   * @throws IllegalArgumentException naming the first bad entry
   */
  public static Hosts of(Map<String, List<String>> entries) {
    Map<String, List<InetAddress>> exact = new HashMap<>();
    List<Pattern> patterns = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : new LinkedHashMap<>(entries).entrySet()) {
      List<InetAddress> addresses = new ArrayList<>();
      for (String text : e.getValue()) {
        InetAddress address = IpLiterals.parseOrNull(text.strip());
        if (address == null) {
          throw new IllegalArgumentException(
              "hosts entry '" + e.getKey() + "': '" + text + "' is not an IP");
        }
        addresses.add(address);
      }
      if (addresses.isEmpty()) {
        throw new IllegalArgumentException("hosts entry '" + e.getKey() + "' has no address");
      }
      String key = e.getKey().strip();
      if (key.startsWith("+.") || key.startsWith(".") || key.contains("*")) {
        patterns.add(new Pattern(DomainFilter.of(List.of(key)), List.copyOf(addresses)));
      } else {
        DomainFilter.of(List.of(key)); // validates
        exact.put(Names.normalize(key), List.copyOf(addresses));
      }
    }
    return new Hosts(Map.copyOf(exact), List.copyOf(patterns));
  }

  /** A table with no entries. */
  public static Hosts empty() {
    return EMPTY;
  }

  boolean isEmpty() {
    return exact.isEmpty() && patterns.isEmpty();
  }

  /** The addresses of {@code name}, both families; null when it has no entry. */
  List<InetAddress> lookup(String name) {
    String key = Names.normalize(name);
    List<InetAddress> found = exact.get(key);
    if (found != null) {
      return found;
    }
    for (Pattern p : patterns) {
      if (p.filter().matches(key)) {
        return p.addresses();
      }
    }
    return null;
  }

  static boolean isV4(InetAddress a) {
    return a instanceof Inet4Address;
  }

  static boolean isV6(InetAddress a) {
    return a instanceof Inet6Address;
  }
}
