package dev.turnout.netbase;

import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * This host's own addresses: what a packet or a dial must not reach by way of Turnout unless
 * someone meant it. Always loopback ({@code 127.0.0.0/8}, {@code ::1}), the unspecified addresses
 * ({@code 0.0.0.0/8}, {@code ::}, which Linux connects to the host itself), and the addresses of
 * this network namespace's interfaces as of the last {@link #refresh}.
 *
 * <p>The interface addresses are a snapshot: {@link #refresh} enumerates the interfaces (a netlink
 * dump, a millisecond or so) and publishes a new immutable snapshot; whoever owns the instance
 * calls it every few seconds off any hot thread. {@link #containsIpv4} is allocation-free and
 * lock-free, for the TUN reader. Thread-safe.
 */
public final class LocalAddresses implements Predicate<InetAddress> {
  private final Supplier<Collection<InetAddress>> source;
  private volatile Snapshot snapshot = new Snapshot(new int[0], Set.of());

  /** Immutable: sorted IPv4 addresses as ints, and the IPv6 ones. */
  private record Snapshot(int[] ipv4, Set<InetAddress> ipv6) {}

  private LocalAddresses(Supplier<Collection<InetAddress>> source) {
    this.source = source;
  }

  /** The addresses of this namespace's interfaces, enumerated now and at each {@link #refresh}. */
  public static LocalAddresses ofInterfaces() {
    LocalAddresses local = new LocalAddresses(LocalAddresses::interfaceAddresses);
    local.refresh();
    return local;
  }

  /** Fixed interface addresses (tests, and hosts that know them). */
  public static LocalAddresses of(Collection<InetAddress> addresses) {
    List<InetAddress> copy = List.copyOf(addresses);
    LocalAddresses local = new LocalAddresses(() -> copy);
    local.refresh();
    return local;
  }

  /** Reads the interface addresses again; keeps the last snapshot if that fails. */
  public void refresh() {
    Collection<InetAddress> found;
    try {
      found = source.get();
    } catch (UncheckedIOException e) {
      return;
    }
    List<Integer> v4 = new ArrayList<>();
    Set<InetAddress> v6 = new HashSet<>();
    for (InetAddress a : found) {
      if (a instanceof Inet4Address) {
        v4.add(Ipv4.toInt(a));
      } else {
        v6.add(IpLiterals.toAddress(a.getAddress())); // without a scope id
      }
    }
    int[] sorted = v4.stream().mapToInt(Integer::intValue).distinct().sorted().toArray();
    snapshot = new Snapshot(sorted, Set.copyOf(v6));
  }

  /** Loopback, unspecified, or an address of one of this host's interfaces. */
  public boolean contains(InetAddress address) {
    if (address instanceof Inet4Address) {
      return containsIpv4(Ipv4.toInt(address));
    }
    return address.isLoopbackAddress()
        || address.isAnyLocalAddress()
        || snapshot.ipv6().contains(IpLiterals.toAddress(address.getAddress()));
  }

  /** {@link #contains} for an IPv4 address held as an int; allocation-free. */
  public boolean containsIpv4(int address) {
    int first = address >>> 24;
    return first == 127 || first == 0 || Arrays.binarySearch(snapshot.ipv4(), address) >= 0;
  }

  /** Loopback or unspecified: local on every host, whatever its interfaces. */
  public static boolean isAlwaysLocal(InetAddress address) {
    if (address instanceof Inet4Address) {
      int first = Ipv4.toInt(address) >>> 24;
      return first == 127 || first == 0;
    }
    return address.isLoopbackAddress() || address.isAnyLocalAddress();
  }

  /**
   * {@link #contains} without a snapshot: asks the kernel now (a netlink dump), so only for rare
   * checks off the hot paths; true when it cannot tell.
   */
  public static boolean isLocalNow(InetAddress address) {
    if (isAlwaysLocal(address)) {
      return true;
    }
    try {
      return NetworkInterface.getByInetAddress(address) != null;
    } catch (SocketException e) {
      return true;
    }
  }

  @Override
  public boolean test(InetAddress address) {
    return contains(address);
  }

  @Override
  public String toString() {
    Snapshot s = snapshot;
    return "LocalAddresses[" + s.ipv4().length + " IPv4, " + s.ipv6().size() + " IPv6]";
  }

  private static Collection<InetAddress> interfaceAddresses() {
    try {
      List<InetAddress> all = new ArrayList<>();
      NetworkInterface.networkInterfaces().forEach(nif -> nif.inetAddresses().forEach(all::add));
      return all;
    } catch (SocketException e) {
      throw new UncheckedIOException(e);
    }
  }
}
