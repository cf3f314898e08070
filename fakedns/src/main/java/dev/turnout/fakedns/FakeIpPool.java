package dev.turnout.fakedns;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.Ipv4;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands out fake addresses (IPv4 or IPv6, one family per pool) for names and remembers the mapping
 * both ways.
 *
 * <p>Addresses are allocated sequentially from the first address; once every address has been
 * handed out, the least recently used mapping (by {@link #addressFor} or {@link #nameFor}) is
 * reused — except a <em>pinned</em> one: while a live connection uses an address ({@link #pin},
 * reference counted, undone by {@link #unpin}) it is never handed to another name. Pinned mappings
 * leave the least-recently-used order while pinned (and come back as most recent), so eviction
 * takes the head of that order in O(1) and never meets a pinned one. When every address is pinned,
 * {@link #tryAddressFor} is empty (counted in {@link #exhaustedCount()} and logged once per
 * episode) and nothing is evicted. A caller may make each new mapping ask a budget first (a
 * per-client quota, {@link #tryAddressFor(String, BooleanSupplier)}). Names are compared
 * case-insensitively and a trailing dot is ignored.
 *
 * <p>Thread-safe: one lock guards the maps. Lookups are a hash-map access under that lock, which is
 * plenty for DNS query rates and one reverse lookup per new connection. {@link #version()} grows
 * with every change of a mapping, so a persister can tell whether a snapshot is due (see {@link
 * FakeIpStore}).
 */
public final class FakeIpPool {
  private static final Logger log = LoggerFactory.getLogger(FakeIpPool.class);

  /**
   * Largest pool accepted: 2^24 addresses. The reverse table grows with use, not with the range.
   */
  private static final long MAX_SIZE = 1L << 24;

  private final byte[] base; // first address, 4 or 16 bytes
  private final long baseLow; // its last 8 (v6) or 4 (v4) bytes as an unsigned number
  private final int size;

  // Unpinned mappings, access-ordered: iteration starts at the least recently used, the next to go.
  private final LinkedHashMap<String, Integer> byName = new LinkedHashMap<>(256, 0.75f, true);
  private final Map<String, Integer> held = new HashMap<>(); // pinned mappings: never evicted
  private final Map<Integer, Integer> pins = new HashMap<>(); // offset -> reference count
  private final ArrayDeque<Integer> free = new ArrayDeque<>(); // unmapped offsets below cursor
  private String[] byOffset;
  private int cursor; // next offset never handed out; == size once the pool has filled up
  private long version;
  private boolean exhaustedLogged;
  private final LongAdder exhausted = new LongAdder();

  /**
   * Creates an IPv4 pool over the inclusive range {@code [firstAddress, lastAddress]}, addresses as
   * big-endian ints (e.g. {@code 0xC6120002} for 198.18.0.2). The caller excludes network,
   * broadcast, gateway and DNS addresses by choosing the bounds.
   *
   * @throws IllegalArgumentException if the range is empty or larger than 2^24 addresses
   */
  public FakeIpPool(int firstAddress, int lastAddress) {
    this(
        Ipv4.address(firstAddress), Integer.toUnsignedLong(lastAddress) - toUnsigned(firstAddress));
  }

  /**
   * Creates a pool of {@code count} consecutive addresses from {@code first}, IPv4 or IPv6.
   *
   * @throws IllegalArgumentException if {@code count} is not 1 to 2^24, or the range would wrap
   *     past the end of the address space
   */
  public static FakeIpPool of(InetAddress first, long count) {
    return new FakeIpPool(first, count - 1);
  }

  /**
   * A pool over the CIDR block {@code cidr} (IPv4 such as {@code 198.18.0.0/16} or IPv6 such as
   * {@code fdfe:dcba:9876::/64}) without its network address (and, for IPv4, its broadcast
   * address), capped at the first 2^24 addresses.
   *
   * @throws IllegalArgumentException if {@code cidr} is not a literal block with at least one
   *     usable address
   */
  public static FakeIpPool ofCidr(String cidr) {
    Cidr block = null;
    try {
      block = Cidr.parseMasking(cidr.strip());
    } catch (IllegalArgumentException e) {
      // reported below
    }
    int bits = block == null ? 0 : block.addressBits();
    int hostBits = block == null ? 0 : bits - block.prefixLength();
    long usable = hostBits >= 25 ? MAX_SIZE : (1L << Math.max(0, hostBits)) - (bits == 32 ? 2 : 1);
    if (block == null || usable < 1) {
      throw new IllegalArgumentException(
          "expected an address block such as 198.18.0.0/16 or fdfe:dcba:9876::/64, got '"
              + cidr
              + "'");
    }
    byte[] network = block.network().getAddress();
    network[network.length - 1] |= 1; // network address + 1: the low bits are zero after masking
    return of(IpLiterals.toAddress(network), Math.min(usable, MAX_SIZE));
  }

  private FakeIpPool(InetAddress first, long lastOffset) {
    this.base = Objects.requireNonNull(first, "first").getAddress();
    this.baseLow = low(base);
    long count = lastOffset + 1;
    long room =
        base.length == 4
            ? 0xFFFF_FFFFL - baseLow
            : (Long.compareUnsigned(baseLow, -1L - MAX_SIZE) > 0 ? -1L - baseLow : MAX_SIZE);
    if (count < 1 || count > MAX_SIZE || lastOffset > room) {
      throw new IllegalArgumentException(
          "fake IP range must hold 1 to 2^24 addresses from "
              + first.getHostAddress()
              + ", got "
              + count);
    }
    this.size = (int) count;
    this.byOffset = new String[Math.min(size, 1024)];
  }

  /**
   * Returns the fake address of {@code name}, allocating one if needed. The same name always gets
   * the same address while its mapping lives; different names get different addresses.
   *
   * @throws IllegalArgumentException if {@code name} is empty or the root
   * @throws IllegalStateException if every address is pinned (see {@link #tryAddressFor})
   */
  public InetAddress addressFor(String name) {
    return tryAddressFor(name)
        .orElseThrow(() -> new IllegalStateException("fake IP pool exhausted: all pinned"));
  }

  /**
   * Like {@link #addressFor}, but empty instead of throwing when the pool is full and every address
   * is pinned by a live connection.
   */
  public Optional<InetAddress> tryAddressFor(String name) {
    return tryAddressFor(name, () -> true);
  }

  /**
   * Like {@link #tryAddressFor(String)}, but a name without a mapping gets one only if {@code
   * mayAllocate} says so (asked under the pool's lock, so it must be quick and must not call back);
   * a known name is answered whatever it says.
   */
  public Optional<InetAddress> tryAddressFor(String name, BooleanSupplier mayAllocate) {
    String key = Names.normalize(Objects.requireNonNull(name, "name"));
    if (key.isEmpty()) {
      throw new IllegalArgumentException("no fake IP for the root name");
    }
    int offset;
    synchronized (this) {
      Integer known = lookup(key);
      offset = known != null ? known : mayAllocate.getAsBoolean() ? allocate(key) : -1;
    }
    return offset < 0 ? Optional.empty() : Optional.of(addressAt(offset));
  }

  /** The offset of {@code key}, touching an unpinned mapping; null if unmapped. */
  private Integer lookup(String key) {
    Integer offset = byName.get(key);
    return offset != null ? offset : held.get(key);
  }

  /**
   * Returns the name mapped to {@code address}, or empty if the address is outside the pool or not
   * (or no longer) mapped. A hit counts as a use for the least-recently-used order.
   */
  public Optional<String> nameFor(InetAddress address) {
    int offset = offsetOf(address);
    if (offset < 0) {
      return Optional.empty();
    }
    synchronized (this) {
      String name = offset < byOffset.length ? byOffset[offset] : null;
      if (name != null) {
        lookup(name); // touch
      }
      return Optional.ofNullable(name);
    }
  }

  /** Whether {@code address} lies in this pool's range, mapped or not. */
  public boolean contains(InetAddress address) {
    return offsetOf(address) >= 0;
  }

  /**
   * Marks {@code address} as used by a live connection: until the matching {@link #unpin}, its
   * mapping is never reused for another name. Reference counted; pinning an unmapped address is
   * allowed (it then stays unallocated until unpinned or mapped again by its old name). Returns
   * false, doing nothing, when the address is outside the pool.
   */
  public boolean pin(InetAddress address) {
    int offset = offsetOf(address);
    if (offset < 0) {
      return false;
    }
    synchronized (this) {
      if (pins.merge(offset, 1, Integer::sum) == 1) {
        String name = offset < byOffset.length ? byOffset[offset] : null;
        if (name != null) {
          held.put(name, byName.remove(name)); // out of the eviction order
        }
      }
    }
    return true;
  }

  /**
   * Drops one reference taken by {@link #pin}. Returns false, doing nothing, when the address is
   * outside the pool or not pinned (a mismatched call is the caller's bug, but never fatal here).
   */
  public boolean unpin(InetAddress address) {
    int offset = offsetOf(address);
    if (offset < 0) {
      return false;
    }
    synchronized (this) {
      Integer count = pins.get(offset);
      if (count == null) {
        return false;
      }
      if (count == 1) {
        pins.remove(offset);
        String name = offset < byOffset.length ? byOffset[offset] : null;
        if (name != null) {
          byName.put(name, held.remove(name)); // back, as the most recently used
        }
      } else {
        pins.put(offset, count - 1);
      }
      return true;
    }
  }

  /**
   * Forgets every mapping that no live connection pins (the dashboards' "flush fake-IP cache"):
   * those names get new addresses when next asked, and their old addresses no name. Pinned mappings
   * stay, so no open connection loses its name. Returns the number forgotten.
   */
  public synchronized int flush() {
    int forgotten = 0;
    Iterator<Map.Entry<String, Integer>> it = byName.entrySet().iterator();
    while (it.hasNext()) {
      int offset = it.next().getValue();
      if (!pins.containsKey(offset)) {
        it.remove();
        byOffset[offset] = null;
        free.add(offset);
        forgotten++;
      }
    }
    if (forgotten > 0) {
      version++;
    }
    return forgotten;
  }

  /** Number of distinct addresses currently pinned. */
  public synchronized int pinnedCount() {
    return pins.size();
  }

  /** Number of live mappings. */
  public synchronized int size() {
    return byName.size() + held.size();
  }

  /** Number of addresses in the range. */
  public int capacity() {
    return size;
  }

  /** The first address of the range. */
  public InetAddress firstAddress() {
    return addressAt(0);
  }

  /** How often a name got no address because every address was pinned. */
  public long exhaustedCount() {
    return exhausted.sum();
  }

  /** Grows with every allocation, eviction and restore; equal values mean equal mappings. */
  public synchronized long version() {
    return version;
  }

  private int allocate(String key) {
    int offset = takeFree();
    if (offset < 0) {
      offset = evictLeastRecentlyUsed();
      if (offset < 0) {
        exhausted.increment();
        if (!exhaustedLogged) {
          exhaustedLogged = true;
          log.warn(
              "fake IP pool {} exhausted: all {} addresses are used by live connections;"
                  + " answering SERVFAIL until one closes",
              base.length == 4 ? "v4" : "v6",
              size);
        }
        return -1;
      }
    }
    exhaustedLogged = false;
    byName.put(key, offset);
    byOffset[offset] = key;
    version++;
    return offset;
  }

  /** An offset never handed out or freed by a restore, skipping pinned ones; -1 if none. */
  private int takeFree() {
    for (int n = free.size(); n > 0; n--) {
      int offset = free.poll();
      if (!pins.containsKey(offset)) {
        return offset;
      }
      free.add(offset); // pinned while unmapped: keep it for later
    }
    while (cursor < size) {
      int offset = cursor++;
      ensureCapacity(offset);
      if (!pins.containsKey(offset)) {
        return offset;
      }
      free.add(offset);
    }
    return -1;
  }

  private void ensureCapacity(int offset) {
    if (offset >= byOffset.length) {
      long grown = Math.max(offset + 1L, 2L * byOffset.length);
      byOffset = Arrays.copyOf(byOffset, (int) Math.min(size, grown));
    }
  }

  /** Frees the least recently used unpinned mapping, in O(1); -1 if all are pinned. */
  private int evictLeastRecentlyUsed() {
    Iterator<Map.Entry<String, Integer>> it = byName.entrySet().iterator();
    if (!it.hasNext()) {
      return -1;
    }
    int offset = it.next().getValue();
    it.remove();
    byOffset[offset] = null;
    return offset;
  }

  /** One remembered mapping, for persistence. */
  record Mapping(int offset, String name) {}

  /** The mappings, least recently used first, and the allocation cursor. */
  record State(byte[] first, int size, int cursor, List<Mapping> mappings) {}

  synchronized State snapshot() {
    List<Mapping> list = new ArrayList<>(byName.size() + held.size());
    for (Map.Entry<String, Integer> e : byName.entrySet()) {
      list.add(new Mapping(e.getValue(), e.getKey()));
    }
    for (Map.Entry<String, Integer> e : held.entrySet()) {
      list.add(new Mapping(e.getValue(), e.getKey())); // in use: as recent as can be
    }
    return new State(base.clone(), size, cursor, list);
  }

  /**
   * Replaces the mappings with {@code state}'s, which must have been taken from a pool over the
   * same range. Invalid entries (offset out of range, duplicate name or offset, empty name) are
   * skipped. Returns the number of mappings restored.
   */
  synchronized int restore(State state) {
    if (!Arrays.equals(state.first(), base) || state.size() != size) {
      throw new IllegalArgumentException("state is for another range");
    }
    byName.clear();
    held.clear();
    Arrays.fill(byOffset, null);
    int maxOffset = -1;
    for (Mapping m : state.mappings()) {
      String key = m.name() == null ? "" : Names.normalize(m.name());
      if (m.offset() < 0 || m.offset() >= size || key.isEmpty() || lookup(key) != null) {
        continue;
      }
      ensureCapacity(m.offset());
      if (byOffset[m.offset()] != null) {
        continue;
      }
      byOffset[m.offset()] = key;
      (pins.containsKey(m.offset()) ? held : byName).put(key, m.offset());
      maxOffset = Math.max(maxOffset, m.offset());
    }
    cursor = Math.min(size, maxOffset + 1);
    free.clear();
    for (int i = 0; i < cursor; i++) {
      if (byOffset[i] == null) {
        free.add(i); // dropped entries: allocated again before the cursor moves on
      }
    }
    version++;
    return byName.size() + held.size();
  }

  private int offsetOf(InetAddress address) {
    if (address == null) {
      return -1;
    }
    byte[] a = address.getAddress();
    if (a.length != base.length) {
      return -1;
    }
    for (int i = 0; i < a.length - 8; i++) { // the high 8 bytes of an IPv6 address must match
      if (a[i] != base[i]) {
        return -1;
      }
    }
    long diff = low(a) - baseLow;
    if (a.length == 4) {
      return diff >= 0 && diff < size ? (int) diff : -1;
    }
    return Long.compareUnsigned(low(a), baseLow) >= 0 && Long.compareUnsigned(diff, size) < 0
        ? (int) diff
        : -1;
  }

  private InetAddress addressAt(int offset) {
    byte[] a = base.clone();
    long value = baseLow + offset;
    if (a.length == 4) {
      return Ipv4.address((int) value);
    }
    ByteBuffer.wrap(a).putLong(8, value);
    try {
      return Inet6Address.getByAddress(null, a, null);
    } catch (UnknownHostException e) {
      throw new AssertionError(e); // cannot happen for a 16-byte array
    }
  }

  private static long low(byte[] a) {
    ByteBuffer b = ByteBuffer.wrap(a);
    return a.length == 4 ? Integer.toUnsignedLong(b.getInt(0)) : b.getLong(8);
  }

  private static long toUnsigned(int value) {
    return Integer.toUnsignedLong(value);
  }
}
