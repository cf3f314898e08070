package dev.turnout.fakedns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Hands out fake IPv4 addresses for names and remembers the mapping both ways.
 *
 * <p>Addresses are allocated sequentially from {@code firstAddress}; once every address has been
 * handed out, the least recently used mapping (by {@link #addressFor} or {@link #nameFor}) is
 * reused. Names are compared case-insensitively and a trailing dot is ignored.
 *
 * <p>Thread-safe: one lock guards the maps. Lookups are a hash-map access under that lock, which is
 * plenty for DNS query rates and one reverse lookup per new connection.
 *
 * <p>Not yet done (see DESIGN §5): persistence across restarts, and pinning addresses that a live
 * connection still references. Eviction already goes through {@link #isPinned(int)} so pinning only
 * has to fill in that method and a reference count.
 */
public final class FakeIpPool {
  /** Largest pool accepted: a /8. The reverse table grows with use, not with the range. */
  private static final long MAX_SIZE = 1L << 24;

  private final int first;
  private final int size;

  // Access-ordered: iteration starts at the least recently used mapping.
  private final LinkedHashMap<String, Integer> byName = new LinkedHashMap<>(256, 0.75f, true);
  private String[] byOffset;
  private int cursor; // next offset never handed out; == size once the pool has filled up

  /**
   * Creates a pool over the inclusive range {@code [firstAddress, lastAddress]}, IPv4 addresses as
   * big-endian ints (e.g. {@code 0xC6120002} for 198.18.0.2). The caller excludes network,
   * broadcast, gateway and DNS addresses by choosing the bounds.
   *
   * @throws IllegalArgumentException if the range is empty or larger than a /8
   */
  public FakeIpPool(int firstAddress, int lastAddress) {
    long count = Integer.toUnsignedLong(lastAddress) - Integer.toUnsignedLong(firstAddress) + 1;
    if (count < 1 || count > MAX_SIZE) {
      throw new IllegalArgumentException(
          "fake IP range must hold 1 to 2^24 addresses, got "
              + format(firstAddress)
              + " .. "
              + format(lastAddress));
    }
    this.first = firstAddress;
    this.size = (int) count;
    this.byOffset = new String[Math.min(size, 1024)];
  }

  /**
   * Returns the fake address of {@code name}, allocating one if needed. The same name always gets
   * the same address while its mapping lives; different names get different addresses.
   *
   * @throws IllegalArgumentException if {@code name} is empty or the root
   */
  public Inet4Address addressFor(String name) {
    String key = Names.normalize(Objects.requireNonNull(name, "name"));
    if (key.isEmpty()) {
      throw new IllegalArgumentException("no fake IP for the root name");
    }
    int offset;
    synchronized (this) {
      Integer known = byName.get(key);
      offset = known != null ? known : allocate(key);
    }
    return toAddress(first + offset);
  }

  /**
   * Returns the name mapped to {@code address}, or empty if the address is outside the pool or not
   * (or no longer) mapped. A hit counts as a use for the least-recently-used order.
   */
  public Optional<String> nameFor(InetAddress address) {
    if (!contains(address)) {
      return Optional.empty();
    }
    int offset = toInt((Inet4Address) address) - first;
    synchronized (this) {
      String name = offset < byOffset.length ? byOffset[offset] : null;
      if (name != null) {
        byName.get(name); // touch
      }
      return Optional.ofNullable(name);
    }
  }

  /** Whether {@code address} lies in this pool's range, mapped or not. */
  public boolean contains(InetAddress address) {
    if (!(address instanceof Inet4Address)) {
      return false;
    }
    long offset =
        Integer.toUnsignedLong(toInt((Inet4Address) address)) - Integer.toUnsignedLong(first);
    return offset >= 0 && offset < size;
  }

  /** Number of live mappings. */
  public synchronized int size() {
    return byName.size();
  }

  private int allocate(String key) {
    int offset;
    if (cursor < size) {
      offset = cursor++;
      if (offset >= byOffset.length) {
        byOffset = Arrays.copyOf(byOffset, (int) Math.min(size, 2L * byOffset.length));
      }
    } else {
      offset = evictLeastRecentlyUsed();
    }
    byName.put(key, offset);
    byOffset[offset] = key;
    return offset;
  }

  private int evictLeastRecentlyUsed() {
    Iterator<Map.Entry<String, Integer>> it = byName.entrySet().iterator();
    while (it.hasNext()) {
      int offset = it.next().getValue();
      if (!isPinned(offset)) {
        it.remove();
        byOffset[offset] = null;
        return offset;
      }
    }
    throw new IllegalStateException("fake IP pool exhausted: every address is in use");
  }

  /** Hook for connection pinning (DESIGN §5): a pinned address is never reused. None yet. */
  @SuppressWarnings("unused")
  private boolean isPinned(int offset) {
    return false;
  }

  static int toInt(Inet4Address address) {
    byte[] b = address.getAddress();
    return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
  }

  static Inet4Address toAddress(int value) {
    byte[] b = {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    try {
      return (Inet4Address) InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new AssertionError(e); // cannot happen for a 4-byte array
    }
  }

  static String format(int value) {
    return toAddress(value).getHostAddress();
  }
}
