package dev.turnout.natrewrite.kernel;

import com.sun.jna.Pointer;
import dev.turnout.netbase.LibC;
import java.io.Closeable;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A BPF ring buffer (BPF_MAP_TYPE_RINGBUF, Linux 5.8+) that programs write records to with {@code
 * bpf_ringbuf_output} and one user-space thread reads, through two shared mappings of the map: the
 * consumer page, which the reader writes its position to, and the producer page followed by the
 * data area (mapped twice in a row by the kernel, so a record that wraps around reads as one). Each
 * record is an 8-byte header (its length, with a busy bit while a producer writes it and a discard
 * bit) and its bytes, padded to 8.
 *
 * <p>Records are read in the order producers reserved them. A record still busy is waited for (a
 * producer commits within its program's run, a few microseconds at most), so that a record is never
 * read after one that was reserved later: a reader can rely on having seen every record a packet's
 * program wrote once that packet has reached it. Only one thread may {@link #read}.
 */
final class BpfRingBuffer implements Closeable {
  private static final int HEADER = 8;
  private static final int BUSY = 1 << 31;
  private static final int DISCARD = 1 << 30;
  private static final long MAX_SPIN_NANOS = 1_000_000; // a producer stuck this long: try later
  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
  private static final VarHandle INTS =
      MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

  /**
   * What a record holds, at {@code data[at..at + length)}, big-endian (network order) for its
   * absolute gets; must not keep or change {@code data}.
   */
  @FunctionalInterface
  interface Reader {
    void record(ByteBuffer data, int at, int length);
  }

  private final int fd;
  private final int size; // of the data area: a power of two
  private final int pageSize;
  private final long consumerAddress;
  private final long producerAddress;
  private final ByteBuffer consumer; // its first 8 bytes: the consumer position
  private final ByteBuffer producer; // the producer position, then at pageSize the data, twice
  private long position; // the consumer position, as last written
  private boolean closed;

  private BpfRingBuffer(
      int fd, int size, int pageSize, long consumerAddress, long producerAddress) {
    this.fd = fd;
    this.size = size;
    this.pageSize = pageSize;
    this.consumerAddress = consumerAddress;
    this.producerAddress = producerAddress;
    this.consumer = new Pointer(consumerAddress).getByteBuffer(0, pageSize);
    this.producer =
        new Pointer(producerAddress)
            .getByteBuffer(0, pageSize + 2L * size)
            .order(ByteOrder.BIG_ENDIAN);
    this.position = (long) LONGS.getAcquire(consumer, 0);
  }

  /**
   * Creates a ring buffer of {@code size} bytes (a power of two, a multiple of the page size) and
   * maps it.
   *
   * @throws IOException if this kernel has no ring buffers, or the process may not create one
   */
  static BpfRingBuffer create(int size, String name) throws IOException {
    int pageSize = LibC.getpagesize();
    if (Integer.bitCount(size) != 1 || size % pageSize != 0) {
      throw new IllegalArgumentException("not a power of two of pages: " + size);
    }
    int fd = Bpf.createMap(Bpf.MAP_TYPE_RINGBUF, 0, 0, size, 0, name);
    long consumer = -1;
    try {
      consumer = LibC.mmap(0, pageSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
      if (consumer == -1) {
        throw new IOException("map the consumer page of " + name + ": " + error());
      }
      long producer =
          LibC.mmap(0, pageSize + 2L * size, LibC.PROT_READ, LibC.MAP_SHARED, fd, pageSize);
      if (producer == -1) {
        throw new IOException("map the data of " + name + ": " + error());
      }
      return new BpfRingBuffer(fd, size, pageSize, consumer, producer);
    } catch (IOException | RuntimeException e) {
      if (consumer != -1) {
        LibC.munmap(consumer, pageSize);
      }
      Bpf.closeDescriptor(fd);
      throw e;
    }
  }

  private static String error() {
    return LibC.strerror(LibC.errno());
  }

  int fd() {
    return fd;
  }

  /**
   * Hands every committed record to {@code reader}, in order, and frees their room; returns how
   * many it read. Stops early at a record whose producer has not committed it within a millisecond
   * (it is read next time).
   */
  int read(Reader reader) {
    if (closed) {
      return 0;
    }
    long end = (long) LONGS.getAcquire(producer, 0);
    int n = 0;
    long spinSince = 0;
    while (position < end) {
      int at = pageSize + (int) (position & (size - 1));
      int header = (int) INTS.getAcquire(producer, at);
      if ((header & BUSY) != 0) {
        long now = System.nanoTime();
        if (spinSince == 0) {
          spinSince = now;
        } else if (now - spinSince > MAX_SPIN_NANOS) {
          break;
        }
        Thread.onSpinWait();
        continue;
      }
      spinSince = 0;
      int length = header & ~(BUSY | DISCARD);
      if ((header & DISCARD) == 0) {
        reader.record(producer, at + HEADER, length);
        n++;
      }
      position += (HEADER + length + 7) & ~7;
      LONGS.setRelease(consumer, 0, position);
    }
    return n;
  }

  /** Unmaps and frees the ring buffer. Not concurrently with {@link #read}. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    LibC.munmap(producerAddress, pageSize + 2L * size);
    LibC.munmap(consumerAddress, pageSize);
    Bpf.closeDescriptor(fd);
  }
}
