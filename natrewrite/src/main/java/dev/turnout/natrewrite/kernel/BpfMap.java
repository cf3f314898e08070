package dev.turnout.natrewrite.kernel;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.Closeable;
import java.io.IOException;

/**
 * A BPF map this process created and owns: its descriptor (to build into a program with {@link
 * BpfAssembler#loadMap}) and element updates from user space. Keys and values are byte arrays in
 * the layout the program reads.
 *
 * <p>Thread-safety: the element methods are synchronized; they reuse one native attribute block,
 * key and value buffer, so a call allocates nothing.
 */
final class BpfMap implements Closeable {
  private final int fd;
  private final int keySize;
  private final int valueSize;
  private final Memory attr = new Memory(Bpf.ATTR_SIZE);
  private final Memory key;
  private final Memory value;
  private boolean closed;

  private BpfMap(int fd, int keySize, int valueSize) {
    this.fd = fd;
    this.keySize = keySize;
    this.valueSize = valueSize;
    this.key = new Memory(keySize);
    this.value = new Memory(valueSize);
    attr.clear();
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
  public synchronized int put(byte[] keyBytes, byte[] valueBytes) {
    checkOpen();
    key.write(0, keyBytes, 0, keySize);
    value.write(0, valueBytes, 0, valueSize);
    return elementCall(Bpf.MAP_UPDATE_ELEM, value);
  }

  /** Removes an element; returns true if it was there. */
  public synchronized boolean remove(byte[] keyBytes) {
    checkOpen();
    key.write(0, keyBytes, 0, keySize);
    return elementCall(Bpf.MAP_DELETE_ELEM, null) == 0;
  }

  /** Copies the element of {@code keyBytes} into {@code valueOut}; false if there is none. */
  public synchronized boolean get(byte[] keyBytes, byte[] valueOut) {
    checkOpen();
    key.write(0, keyBytes, 0, keySize);
    if (elementCall(Bpf.MAP_LOOKUP_ELEM, value) != 0) {
      return false;
    }
    value.read(0, valueOut, 0, Math.min(valueSize, valueOut.length));
    return true;
  }

  /** The number of elements, walked key by key: for tests and diagnostics, not a hot path. */
  public synchronized int size() {
    checkOpen();
    try (Memory next = new Memory(keySize)) {
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
    }
  }

  /** The size of a value as {@link #get} returns it (all CPUs' values for a per-CPU map). */
  public int valueSize() {
    return valueSize;
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      Bpf.closeDescriptor(fd);
    }
  }

  private int elementCall(int command, Memory valueBuffer) {
    attr.setInt(0, fd);
    attr.setLong(8, Pointer.nativeValue(key));
    attr.setLong(16, valueBuffer == null ? 0 : Pointer.nativeValue(valueBuffer));
    attr.setLong(24, 0); // flags: BPF_ANY
    return Math.min(0, Bpf.callQuietly(command, attr));
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("BPF map closed");
    }
  }
}
