package dev.turnout.natrewrite.kernel;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.locks.StampedLock;

/**
 * A BPF map this process created and owns: its descriptor (to build into a program with {@link
 * BpfAssembler#loadMap}) and element updates from user space. Keys and values are byte arrays in
 * the layout the program reads.
 *
 * <p>Thread-safety: all methods are thread-safe. The element methods of different threads run at
 * once, as the kernel allows (the TUN thread adds flows while the NAT sweeper removes others): each
 * thread reuses its own native attribute block, key and value buffer, so a call allocates nothing
 * and waits for no other. Only {@link #close} excludes them, so none uses a closed descriptor.
 */
final class BpfMap implements Closeable {
  private final int fd;
  private final int keySize;
  private final int valueSize;
  private final ThreadLocal<Scratch> scratch;
  private final StampedLock lifecycle = new StampedLock(); // element calls read, close writes
  private boolean closed; // guarded by lifecycle

  /** One thread's native buffers for element calls. */
  private static final class Scratch {
    final Memory attr = new Memory(Bpf.ATTR_SIZE);
    final Memory key;
    final Memory value;

    Scratch(int keySize, int valueSize) {
      key = new Memory(keySize);
      value = new Memory(valueSize);
      attr.clear();
    }
  }

  private BpfMap(int fd, int keySize, int valueSize) {
    this.fd = fd;
    this.keySize = keySize;
    this.valueSize = valueSize;
    this.scratch = ThreadLocal.withInitial(() -> new Scratch(keySize, valueSize));
  }

  /** A hash map whose elements are allocated as they are added. */
  public static BpfMap hash(int keySize, int valueSize, int maxEntries, String name)
      throws IOException {
    int fd =
        Bpf.createMap(Bpf.MAP_TYPE_HASH, keySize, valueSize, maxEntries, Bpf.F_NO_PREALLOC, name);
    return new BpfMap(fd, keySize, valueSize);
  }

  /**
   * A per-CPU array of {@code entries} values of {@code valueSize} bytes; a lookup returns the
   * values of every possible CPU, one after the other, each padded to 8 bytes.
   */
  public static BpfMap perCpuArray(int valueSize, int entries, String name) throws IOException {
    int allCpus = ((valueSize + 7) & ~7) * Bpf.possibleCpus();
    int fd = Bpf.createMap(Bpf.MAP_TYPE_PERCPU_ARRAY, 4, valueSize, entries, 0, name);
    return new BpfMap(fd, 4, allCpus);
  }

  public int fd() {
    return fd;
  }

  /** Adds or replaces an element; returns 0 or -errno (e.g. -E2BIG when the map is full). */
  public int put(byte[] keyBytes, byte[] valueBytes) {
    long stamp = lifecycle.readLock();
    try {
      Scratch s = withKey(keyBytes);
      s.value.write(0, valueBytes, 0, valueSize);
      return elementCall(s, Bpf.MAP_UPDATE_ELEM, s.value);
    } finally {
      lifecycle.unlockRead(stamp);
    }
  }

  /** Removes an element; returns true if it was there. */
  public boolean remove(byte[] keyBytes) {
    long stamp = lifecycle.readLock();
    try {
      Scratch s = withKey(keyBytes);
      return elementCall(s, Bpf.MAP_DELETE_ELEM, null) == 0;
    } finally {
      lifecycle.unlockRead(stamp);
    }
  }

  /** Copies the element of {@code keyBytes} into {@code valueOut}; false if there is none. */
  public boolean get(byte[] keyBytes, byte[] valueOut) {
    long stamp = lifecycle.readLock();
    try {
      Scratch s = withKey(keyBytes);
      if (elementCall(s, Bpf.MAP_LOOKUP_ELEM, s.value) != 0) {
        return false;
      }
      s.value.read(0, valueOut, 0, Math.min(valueSize, valueOut.length));
      return true;
    } finally {
      lifecycle.unlockRead(stamp);
    }
  }

  /** The number of elements, walked key by key: for tests and diagnostics, not a hot path. */
  public int size() {
    long stamp = lifecycle.readLock();
    try (Memory attr = new Memory(Bpf.ATTR_SIZE);
        Memory key = new Memory(keySize);
        Memory next = new Memory(keySize)) {
      checkOpen();
      attr.clear();
      int count = 0;
      attr.setInt(0, fd);
      attr.setLong(8, 0); // no key: the first
      attr.setLong(16, Pointer.nativeValue(next));
      while (Bpf.callQuietly(Bpf.MAP_GET_NEXT_KEY, attr) == 0) {
        count++;
        key.write(0, next.getByteArray(0, keySize), 0, keySize);
        attr.setLong(8, Pointer.nativeValue(key));
      }
      return count;
    } finally {
      lifecycle.unlockRead(stamp);
    }
  }

  /** The size of a value as {@link #get} returns it (all CPUs' values for a per-CPU map). */
  public int valueSize() {
    return valueSize;
  }

  @Override
  public void close() {
    long stamp = lifecycle.writeLock();
    try {
      if (!closed) {
        closed = true;
        Bpf.closeDescriptor(fd);
      }
    } finally {
      lifecycle.unlockWrite(stamp);
    }
  }

  /**
   * Checks the map is open and loads {@code keyBytes} into this thread's buffers, which it returns.
   * Called under the read lock; allocates nothing, as the element calls run per connection.
   */
  private Scratch withKey(byte[] keyBytes) {
    checkOpen();
    Scratch s = scratch.get();
    s.key.write(0, keyBytes, 0, keySize);
    return s;
  }

  /** One element syscall on this thread's buffers: 0, or -errno (a positive result counts as 0). */
  private int elementCall(Scratch s, int command, Memory valueBuffer) {
    s.attr.setInt(0, fd);
    s.attr.setLong(8, Pointer.nativeValue(s.key));
    s.attr.setLong(16, valueBuffer == null ? 0 : Pointer.nativeValue(valueBuffer));
    s.attr.setLong(24, 0); // flags: BPF_ANY
    return Math.min(0, Bpf.callQuietly(command, s.attr));
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("BPF map closed");
    }
  }
}
