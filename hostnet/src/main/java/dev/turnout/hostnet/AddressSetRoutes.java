package dev.turnout.hostnet;

import dev.turnout.netbase.Cidr;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The routes {@code tun.route-address-set} and {@code tun.route-exclude-address-set} make in
 * auto-route's table, from ipcidr rule providers of thousands of CIDRs, kept in step with them as
 * they refresh. As sing-box does without auto-redirect, a set's CIDRs are routes, not {@code ip
 * rule}s (the kernel walks rules one by one for every packet; a table is a trie):
 *
 * <ul>
 *   <li>each CIDR of a route-address set, {@code CIDR dev <tun>}, as {@code route-address} makes
 *       them: {@link AutoRoute} then makes no default route, so what no set lists keeps the main
 *       table;
 *   <li>each CIDR of a route-exclude-address set, {@code throw CIDR}: a lookup in the table that
 *       hits it fails, and the next rules (the main table's) route the packet, DNS to such a
 *       resolver included.
 * </ul>
 *
 * An exclusion wins: a routed CIDR inside an excluded one is left out, since in a table the longer
 * prefix would win instead. A route {@link AutoRoute} made itself (the default route, a {@code
 * route-address}) is never replaced: a set CIDR equal to one is left out. IPv6 CIDRs are left out
 * unless IPv6 is captured.
 *
 * <p>Every route is tagged {@code proto} {@link #PROTO}, so that stopping, a crashed run's undo and
 * {@code turnout cleanup} flush exactly these ({@link HostChanges#batchRoutes}). A sync sends only
 * the difference from the last one, in one {@code ip -batch}. Thread-safe.
 */
public final class AddressSetRoutes {
  /** The route protocol number tagging these routes (unassigned in iproute2's rt_protos). */
  public static final int PROTO = 122;

  private final String device;
  private final int table;
  private final boolean ipv6;
  private final Set<Cidr> fixed;
  private Map<Cidr, String> current = Map.of(); // CIDR -> its route spec, as last sent
  private boolean unsure; // the last batch partly failed: send every route again

  /** What a sync left in the table. */
  public record Counts(int routed, int excluded, int sent) {}

  /**
   * @param fixed the routes auto-route made in the table itself ({@code 0.0.0.0/0} and {@code ::/0}
   *     for its default routes, each {@code route-address})
   */
  public AddressSetRoutes(String device, int table, boolean ipv6, Collection<Cidr> fixed) {
    if (!Change.DEVICE.matcher(Objects.requireNonNull(device)).matches()) {
      throw new IllegalArgumentException("not an interface name: " + device);
    }
    this.device = device;
    this.table = table;
    this.ipv6 = ipv6;
    this.fixed = Set.copyOf(fixed);
  }

  /**
   * Makes the table's set routes those of {@code routed} and {@code excluded}, the union of each
   * kind's sets as they are now.
   *
   * @throws IOException if {@code ip} failed some routes (the others took effect; the next sync
   *     sends them all again)
   */
  public synchronized Counts sync(
      HostChanges changes, Collection<Cidr> routed, Collection<Cidr> excluded) throws IOException {
    Map<Cidr, String> wanted = new LinkedHashMap<>();
    Set<Cidr> out = new HashSet<>();
    for (Cidr cidr : excluded) {
      if (usable(cidr)) {
        out.add(cidr);
        wanted.put(cidr, "throw " + cidr + tail());
      }
    }
    int excludedCount = wanted.size();
    for (Cidr cidr : routed) {
      if (usable(cidr) && !inside(cidr, out)) {
        wanted.putIfAbsent(cidr, cidr + " dev " + device + tail());
      }
    }
    List<String> lines = new ArrayList<>();
    current.forEach(
        (cidr, spec) -> {
          if (!spec.equals(wanted.get(cidr))) {
            lines.add("route del " + spec);
          }
        });
    wanted.forEach(
        (cidr, spec) -> {
          if (unsure || !spec.equals(current.get(cidr))) {
            lines.add("route replace " + spec);
          }
        });
    Map<Cidr, String> before = current;
    try {
      changes.batchRoutes(table, lines);
      unsure = false;
      current = wanted;
    } catch (IOException e) {
      unsure = true; // which lines failed is not known: delete what either had, send all again
      Map<Cidr, String> both = new LinkedHashMap<>(before);
      both.putAll(wanted);
      current = both;
      throw e;
    }
    return new Counts(wanted.size() - excludedCount, excludedCount, lines.size());
  }

  private boolean usable(Cidr cidr) {
    return (cidr.isIpv4() || ipv6) && !fixed.contains(cidr);
  }

  /** Whether {@code cidr} lies in (or is) one of {@code excluded}. */
  private static boolean inside(Cidr cidr, Set<Cidr> excluded) {
    if (excluded.isEmpty()) {
      return false;
    }
    java.net.InetAddress network = cidr.network(); // a new address each call
    for (int length = cidr.prefixLength(); length >= 0; length--) {
      if (excluded.contains(Cidr.of(network, length))) {
        return true;
      }
    }
    return false;
  }

  private String tail() {
    return " table " + table + " proto " + PROTO;
  }
}
