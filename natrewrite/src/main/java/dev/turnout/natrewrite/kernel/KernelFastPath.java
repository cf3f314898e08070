package dev.turnout.natrewrite.kernel;

import dev.turnout.natrewrite.FlowOffload;
import dev.turnout.netbase.LibC;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.StampedLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel fast path of a TUN device: {@link FastPathProgram} on the device's egress, and the
 * flow maps the NAT table fills through {@link FlowOffload}. Once a flow's SYN has been mapped in
 * user space, its later segments in both directions are rewritten in the kernel and never reach the
 * TUN queue: no read, no write, no copy. UDP flows the same way, through {@link #udp()}, from their
 * first datagram on. IPv4 TCP flows the kernel forwards itself go into a map of their own, through
 * {@link #forwarded()}: rewritten the same, their SYN-ACK, FIN and RST segments too, which the
 * program also writes to an event ring (a BPF ring buffer) that the TUN thread reads ({@link
 * FlowOffload#pollForwarded}), so that the NAT table sees each such flow established and ended.
 * Where the kernel has no ring buffers (before 5.8), or when the ring is full, those segments cross
 * the TUN instead.
 *
 * <p>Nothing on the host outlives the process. On Linux 6.6 and later the program hangs on a TCX
 * link, which the kernel detaches when its descriptor is closed, by {@link #close} or by the
 * process' death. Older kernels get a clsact qdisc with a cls_bpf filter instead ({@link
 * ClsactFilter}), which {@link #close} removes and which goes with the TUN device otherwise. Needs
 * CAP_BPF (or CAP_SYS_ADMIN) and CAP_NET_ADMIN.
 *
 * <p>Thread-safety: all methods are thread-safe.
 */
public final class KernelFastPath implements FlowOffload, Closeable {
  private static final Logger log = LoggerFactory.getLogger(KernelFastPath.class);

  /**
   * Flows the kernel holds at once (two map elements each, one per direction); more take the TUN.
   */
  public static final int DEFAULT_MAX_FLOWS = 65536;

  /**
   * The event ring's size: {@value} bytes hold about 10,000 events, each a forwarded flow's
   * SYN-ACK, FIN or RST, which the TUN thread reads before each packet and at least every 250 ms;
   * when it is full, such segments cross the TUN instead.
   */
  static final int RING_SIZE = 256 * 1024;

  private static final String LICENSE = "Dual MIT/GPL";
  private static final String PROGRAM_NAME = "turnout_fast";

  /** How the program hangs on the device's egress. */
  public enum Hook {
    /** A TCX link (Linux 6.6+), owned by a descriptor. */
    TCX,
    /** A clsact qdisc with a direct-action cls_bpf filter, owned by the device. */
    CLSACT
  }

  private final BpfMap flows;
  private final BpfMap flows6;
  private final BpfMap udp;
  private final BpfMap udp6;
  private final BpfMap forwarded;
  private final Flows tcpFlows;
  private final Flows udpFlows;
  private final CountedFlows forwardedFlows;
  private final BpfMap stats;
  private final BpfRingBuffer ring; // null: forwarded flows' SYN-ACK, FIN and RST cross the TUN
  private final int programFd;
  private final Hook hook;
  private final int linkFd; // TCX only
  private final ClsactFilter filter; // CLSACT only
  // The TUN thread adds while the NAT sweeper removes: each thread has its own tuple buffers, and
  // neither waits for the other; only close() excludes them.
  private final ThreadLocal<Tuples> tuples = ThreadLocal.withInitial(Tuples::new);
  private final StampedLock lifecycle = new StampedLock();
  private final AtomicBoolean warnedFull = new AtomicBoolean();
  private boolean closed; // guarded by lifecycle

  /** One thread's key and value buffers. */
  private static final class Tuples {
    final byte[] key = new byte[FastPathProgram.TUPLE_SIZE];
    final byte[] value = new byte[FastPathProgram.TUPLE_SIZE];
    final byte[] counted = new byte[FastPathProgram.FORWARDED_VALUE_SIZE];
    final byte[] key6 = new byte[FastPathProgram.TUPLE6_SIZE];
    final byte[] value6 = new byte[FastPathProgram.TUPLE6_SIZE];
  }

  private KernelFastPath(
      BpfMap[] maps,
      BpfMap stats,
      BpfRingBuffer ring,
      int programFd,
      int linkFd,
      ClsactFilter filter) {
    this.flows = maps[0];
    this.flows6 = maps[1];
    this.udp = maps[2];
    this.udp6 = maps[3];
    this.forwarded = maps[4];
    this.tcpFlows = new Flows(flows, flows6);
    this.udpFlows = new Flows(udp, udp6);
    this.forwardedFlows = new CountedFlows(forwarded);
    this.stats = stats;
    this.ring = ring;
    this.programFd = programFd;
    this.hook = filter == null ? Hook.TCX : Hook.CLSACT;
    this.linkFd = linkFd;
    this.filter = filter;
  }

  /**
   * Loads the program and attaches it to the egress of {@code device}.
   *
   * @throws IOException if this kernel or process cannot (too old, no capability, seccomp); the
   *     message says which step failed and why, and nothing is left behind
   */
  public static KernelFastPath attach(String device, int maxFlows) throws IOException {
    return attach(device, maxFlows, maxFlows, null);
  }

  /**
   * As {@link #attach(String, int)} with room for {@code maxFlows6} IPv6 flows (at least 1; a TUN
   * without IPv6 needs no more), on the given hook only, or with {@code hook} null on TCX where the
   * kernel has it and clsact where not.
   */
  public static KernelFastPath attach(String device, int maxFlows, int maxFlows6, Hook hook)
      throws IOException {
    return attach(device, maxFlows, maxFlows6, hook, true);
  }

  /**
   * As {@link #attach(String, int, int, Hook)}; only with {@code forwarding} (flows will be added
   * to {@link #forwarded()}) does it make the event ring, {@value #RING_SIZE} bytes of locked
   * kernel memory.
   */
  public static KernelFastPath attach(
      String device, int maxFlows, int maxFlows6, Hook hook, boolean forwarding)
      throws IOException {
    int ifindex = LibC.if_nametoindex(device);
    if (ifindex == 0) {
      throw new IOException("no network device " + device);
    }
    // TCP IPv4, TCP IPv6, UDP IPv4, UDP IPv6, forwarded TCP IPv4 (maps allocate per element, not
    // up front)
    BpfMap[] maps = new BpfMap[5];
    BpfMap stats = null;
    BpfRingBuffer ring = null;
    int program = -1;
    try {
      int v4 = FastPathProgram.TUPLE_SIZE;
      int v6 = FastPathProgram.TUPLE6_SIZE;
      int entries6 = 2 * Math.max(1, maxFlows6);
      maps[0] = BpfMap.hash(v4, v4, 2 * maxFlows, "turnout_flows");
      maps[1] = BpfMap.hash(v6, v6, entries6, "turnout_flows6");
      maps[2] = BpfMap.hash(v4, v4, 2 * maxFlows, "turnout_udp");
      maps[3] = BpfMap.hash(v6, v6, entries6, "turnout_udp6");
      maps[4] = BpfMap.hash(v4, FastPathProgram.FORWARDED_VALUE_SIZE, 2 * maxFlows, "turnout_fwd");
      stats =
          BpfMap.perCpuArray(
              FastPathProgram.STATS_SIZE, FastPathProgram.STATS_ENTRIES, "turnout_stats");
      try {
        ring = forwarding ? BpfRingBuffer.create(RING_SIZE, "turnout_events") : null;
      } catch (IOException | RuntimeException noRing) { // before Linux 5.8
        log.info(
            "tun: no BPF ring buffer ({}); forwarded flows' SYN-ACK, FIN and RST cross the TUN",
            noRing.getMessage());
      }
      program =
          Bpf.loadProgram(
              Bpf.PROG_TYPE_SCHED_CLS,
              FastPathProgram.build(
                  0,
                  maps[0].fd(),
                  maps[1].fd(),
                  maps[2].fd(),
                  maps[3].fd(),
                  maps[4].fd(),
                  stats.fd(),
                  ring == null ? -1 : ring.fd()),
              LICENSE,
              PROGRAM_NAME);
      if (hook != Hook.CLSACT) {
        try {
          int link = Bpf.attachEgress(program, ifindex, device);
          return new KernelFastPath(maps, stats, ring, program, link, null);
        } catch (IOException noTcx) {
          if (hook == Hook.TCX) {
            throw noTcx;
          }
          log.debug("no TCX link ({}); trying a clsact filter", noTcx.getMessage());
        }
      }
      ClsactFilter filter = ClsactFilter.attachEgress(ifindex, program, PROGRAM_NAME, device);
      return new KernelFastPath(maps, stats, ring, program, -1, filter);
    } catch (IOException | RuntimeException | LinkageError e) {
      Bpf.closeDescriptor(program);
      if (ring != null) {
        ring.close();
      }
      if (stats != null) {
        stats.close();
      }
      for (BpfMap map : maps) {
        if (map != null) {
          map.close();
        }
      }
      if (e instanceof LinkageError) {
        throw new IOException("bpf(2) is not reachable through JNA: " + e.getMessage(), e);
      }
      throw e;
    }
  }

  @Override
  public void add(long source, long destination, long newSource, long newDestination) {
    tcpFlows.add(source, destination, newSource, newDestination);
  }

  @Override
  public void add6(
      Endpoint6 source, Endpoint6 destination, Endpoint6 newSource, Endpoint6 newDestination) {
    tcpFlows.add6(source, destination, newSource, newDestination);
  }

  @Override
  public void remove6(Endpoint6 source, Endpoint6 destination) {
    tcpFlows.remove6(source, destination);
  }

  @Override
  public void remove(long source, long destination) {
    tcpFlows.remove(source, destination);
  }

  /** The same for UDP datagrams, in maps of their own. */
  @Override
  public FlowOffload udp() {
    return udpFlows;
  }

  /**
   * The same for IPv4 TCP flows the kernel forwards itself, in a map of their own, their SYN-ACK,
   * FIN and RST segments told through the event ring. IPv6 ones all cross the TUN ({@link
   * FlowOffload#add6} does nothing).
   */
  @Override
  public FlowOffload forwarded() {
    return forwardedFlows;
  }

  private void put(BpfMap map, byte[] key, byte[] value) {
    long stamp = lifecycle.readLock();
    try {
      if (!closed) {
        warnIfFull(map.put(key, value));
      }
    } finally {
      lifecycle.unlockRead(stamp);
    }
  }

  private void delete(BpfMap map, byte[] key) {
    long stamp = lifecycle.readLock();
    try {
      if (!closed) {
        map.remove(key);
      }
    } finally {
      lifecycle.unlockRead(stamp);
    }
  }

  private void warnIfFull(int result) {
    if (result != 0 && warnedFull.compareAndSet(false, true)) {
      log.warn(
          "tun: the kernel fast path took no more flows ({}); until some close, new flows cross"
              + " the TUN",
          Bpf.errnoText(-result));
    }
  }

  /** Segments and bytes rewritten in the kernel so far (sum over CPUs). */
  public long[] packetsAndBytes() {
    return stats(0);
  }

  /** The stats map's entry {@code index}, summed over CPUs; zeros once closed. */
  private long[] stats(int index) {
    long stamp = lifecycle.readLock();
    try {
      if (closed) {
        return new long[2];
      }
      byte[] values = new byte[stats.valueSize()];
      byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(index).array();
      return stats.get(key, values) ? FastPathProgram.sumStats(values) : new long[2];
    } finally {
      lifecycle.unlockRead(stamp);
    }
  }

  /** How the program is attached. */
  public Hook hook() {
    return hook;
  }

  /** The program's kernel-wide id, for {@code bpftool prog show id N}; -1 if unknown. */
  public int programId() {
    try {
      return Bpf.objectId(programFd);
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * Tuples (one per direction of a flow, both families and protocols, relayed or forwarded) the
   * kernel rewrites.
   */
  public int mappedTuples() {
    long stamp = lifecycle.readLock();
    try {
      return closed
          ? 0
          : flows.size() + flows6.size() + udp.size() + udp6.size() + forwarded.size();
    } finally {
      lifecycle.unlockRead(stamp);
    }
  }

  /** Detaches the program and frees the maps. */
  @Override
  public void close() {
    long stamp = lifecycle.writeLock();
    try {
      if (closed) {
        return;
      }
      closed = true;
    } finally {
      lifecycle.unlockWrite(stamp);
    }
    if (filter != null) {
      try {
        filter.close();
      } catch (IOException e) {
        log.warn("tun: could not remove the fast path's clsact qdisc: {}", e.getMessage());
      }
    }
    Bpf.closeDescriptor(linkFd);
    Bpf.closeDescriptor(programFd);
    flows.close();
    flows6.close();
    udp.close();
    udp6.close();
    forwarded.close();
    stats.close();
    if (ring != null) {
      ring.close();
    }
  }

  /**
   * One protocol's pair of maps (IPv4, IPv6, or null: IPv6 flows then all cross the TUN), filled
   * through the calling thread's own tuple buffers under the shared lifecycle lock.
   */
  private class Flows implements FlowOffload {
    final BpfMap v4;
    private final BpfMap v6; // null: no IPv6

    Flows(BpfMap v4, BpfMap v6) {
      this.v4 = v4;
      this.v6 = v6;
    }

    @Override
    public void add(long source, long destination, long newSource, long newDestination) {
      Tuples t = tuples.get();
      tuple(t.key, source, destination);
      tuple(t.value, newSource, newDestination);
      put(v4, t.key, t.value);
    }

    @Override
    public void remove(long source, long destination) {
      Tuples t = tuples.get();
      tuple(t.key, source, destination);
      delete(v4, t.key);
    }

    @Override
    public void add6(
        Endpoint6 source, Endpoint6 destination, Endpoint6 newSource, Endpoint6 newDestination) {
      if (v6 == null) {
        return;
      }
      Tuples t = tuples.get();
      tuple6(t.key6, source, destination);
      tuple6(t.value6, newSource, newDestination);
      put(v6, t.key6, t.value6);
    }

    @Override
    public void remove6(Endpoint6 source, Endpoint6 destination) {
      if (v6 == null) {
        return;
      }
      Tuples t = tuples.get();
      tuple6(t.key6, source, destination);
      delete(v6, t.key6);
    }
  }

  /**
   * The forwarded flows' map: IPv4 only, each tuple's value with its direction and payload count
   * ({@link FastPathProgram}), which a put of the tuple starts from 0.
   */
  private final class CountedFlows extends Flows {
    private final Events events = new Events();

    CountedFlows(BpfMap map) {
      super(map, null);
    }

    @Override
    public void add(long source, long destination, long newSource, long newDestination) {
      put(source, destination, newSource, newDestination, FastPathProgram.TOWARD_DESTINATION);
    }

    @Override
    public void addReply(long source, long destination, long newSource, long newDestination) {
      put(source, destination, newSource, newDestination, FastPathProgram.TOWARD_APP);
    }

    private void put(
        long source, long destination, long newSource, long newDestination, int direction) {
      Tuples t = tuples.get();
      tuple(t.key, source, destination);
      tuple(t.counted, newSource, newDestination);
      ByteBuffer.wrap(t.counted, FastPathProgram.TUPLE_SIZE, 12)
          .order(ByteOrder.nativeOrder())
          .putInt(direction)
          .putLong(0);
      KernelFastPath.this.put(v4, t.key, t.counted);
    }

    @Override
    public long bytes(long source, long destination) {
      byte[] key = new byte[FastPathProgram.TUPLE_SIZE]; // any thread, seldom: no shared buffer
      byte[] value = new byte[FastPathProgram.FORWARDED_VALUE_SIZE];
      tuple(key, source, destination);
      long stamp = lifecycle.readLock();
      try {
        if (closed || !v4.get(key, value)) {
          return 0;
        }
      } finally {
        lifecycle.unlockRead(stamp);
      }
      return ByteBuffer.wrap(value)
          .order(ByteOrder.nativeOrder())
          .getLong(FastPathProgram.FORWARDED_BYTES);
    }

    @Override
    public int pollForwarded(Segments to) {
      if (ring == null) {
        return 0;
      }
      long stamp = lifecycle.readLock(); // close() unmaps the ring
      try {
        if (closed) {
          return 0;
        }
        events.to = to;
        return ring.read(events);
      } finally {
        events.to = null;
        lifecycle.unlockRead(stamp);
      }
    }

    @Override
    public long[] bytesTotal() {
      return new long[] {
        stats(1 + FastPathProgram.TOWARD_DESTINATION)[1], stats(1 + FastPathProgram.TOWARD_APP)[1]
      };
    }
  }

  /** Reads the ring's events ({@link FastPathProgram#EVENT_SIZE} bytes each) into segments. */
  private static final class Events implements BpfRingBuffer.Reader {
    FlowOffload.Segments to; // during a read only

    @Override
    public void record(ByteBuffer data, int at, int length) {
      if (length < FastPathProgram.EVENT_SIZE) {
        return; // not written by the program
      }
      long source = FlowOffload.endpoint(data.getInt(at), data.getShort(at + 8) & 0xffff);
      long destination = FlowOffload.endpoint(data.getInt(at + 4), data.getShort(at + 10) & 0xffff);
      int flags = data.get(at + 12) & 0xff;
      boolean reply = data.get(at + 13) == FastPathProgram.TOWARD_APP;
      to.segment(source, destination, flags, reply);
    }
  }

  /** Source address, destination address, source port, destination port, in network order. */
  private static void tuple(byte[] out, long source, long destination) {
    putInt(out, 0, (int) (source >>> 16));
    putInt(out, 4, (int) (destination >>> 16));
    out[8] = (byte) (source >>> 8);
    out[9] = (byte) source;
    out[10] = (byte) (destination >>> 8);
    out[11] = (byte) destination;
  }

  /** Source address, destination address (16 bytes each), source port, destination port. */
  private static void tuple6(byte[] out, Endpoint6 source, Endpoint6 destination) {
    putLong(out, 0, source.high());
    putLong(out, 8, source.low());
    putLong(out, 16, destination.high());
    putLong(out, 24, destination.low());
    out[32] = (byte) (source.port() >>> 8);
    out[33] = (byte) source.port();
    out[34] = (byte) (destination.port() >>> 8);
    out[35] = (byte) destination.port();
  }

  private static void putLong(byte[] out, int at, long value) {
    putInt(out, at, (int) (value >>> 32));
    putInt(out, at + 4, (int) value);
  }

  private static void putInt(byte[] out, int at, int value) {
    out[at] = (byte) (value >>> 24);
    out[at + 1] = (byte) (value >>> 16);
    out[at + 2] = (byte) (value >>> 8);
    out[at + 3] = (byte) value;
  }
}
