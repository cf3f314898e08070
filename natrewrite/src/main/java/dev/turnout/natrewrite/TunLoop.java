package dev.turnout.natrewrite;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.turnout.netbase.LogLimiter;
import dev.turnout.netbase.Threads;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TUN's one reader thread: reads a packet into a preallocated direct buffer, rewrites it in
 * place and writes it back — no hand-off between threads, so a flow is never reordered. When the
 * device is idle it waits in poll() for at most 250 ms, so {@link #close()} is noticed promptly. A
 * second thread calls {@link NatTable#expire()} about once a second.
 *
 * <p>No exception escapes the loop: drops are counted by reason, I/O errors are logged; the loop
 * only ends on {@link #close()} or when the device is closed underneath it.
 */
public final class TunLoop implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(TunLoop.class);
  // An IPv4 packet (at most 65,535 bytes) or an IPv6 one (a 65,535-byte payload after its 40-byte
  // header), TSO segments included, and room for a virtio header.
  private static final int BUFFER_SIZE = 65535 + 40 + 16;
  private static final int POLL_MILLIS = 250;
  private static final long SWEEP_MILLIS = 1000;

  private final PacketDevice device;
  private final PacketRewriter rewriter;
  private final Thread thread;
  private final Thread sweeper;
  private volatile boolean running = true;
  private final LogLimiter pollFailures = new LogLimiter(1, 10);

  private TunLoop(PacketDevice device, PacketRewriter rewriter) {
    this.device = device;
    this.rewriter = rewriter;
    this.thread = new Thread(this::run, "turnout-tun-" + device.name());
    thread.setDaemon(true);
    // Expiry walks the whole table: on its own thread, it never holds up a packet.
    this.sweeper = new Thread(this::sweep, "turnout-nat-sweep-" + device.name());
    sweeper.setDaemon(true);
  }

  /**
   * Starts the reader thread. The caller keeps ownership of {@code device} and closes it after this
   * loop. {@code rewriter} must not be used by another thread.
   */
  public static TunLoop start(PacketDevice device, PacketRewriter rewriter) {
    TunLoop loop = new TunLoop(device, rewriter);
    loop.thread.start();
    loop.sweeper.start();
    return loop;
  }

  /** A snapshot of the packet and NAT counters. Thread-safe. */
  public NatStats stats() {
    return rewriter.stats();
  }

  /** True until the loop has ended (closed, or the device failed). */
  public boolean isRunning() {
    return thread.isAlive();
  }

  /** Stops the reader thread and waits for it (at most about 250 ms). */
  @Override
  public void close() {
    running = false;
    sweeper.interrupt();
    Threads.joinUninterruptibly(thread);
  }

  /** Frees expired NAT entries about once a second while the loop runs. */
  private void sweep() {
    NatTable natTable = rewriter.natTable();
    while (running) {
      try {
        Thread.sleep(SWEEP_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      try {
        natTable.expire();
      } catch (RuntimeException e) {
        log.error("NAT expiry failed; retrying in a second", e);
      }
    }
  }

  /** What the kernel's fast path did in the TUN's place since the last packet. */
  private void pollKernel() {
    try {
      rewriter.pollKernel();
    } catch (RuntimeException e) { // a bug, not the network's fault; keep the data path alive
      if (pollFailures.allow()) {
        log.error("Reading the fast path's events failed", e);
      }
    }
  }

  private void run() {
    ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_SIZE);
    long address = Pointer.nativeValue(Native.getDirectBufferPointer(buffer));
    int header = device.offload() ? VirtioNetHeader.LENGTH : 0;
    Counters counters = rewriter.counters();
    log.debug("Reading packets from {}", device.name());
    try {
      while (running) {
        pollKernel();
        int n = device.read(address, BUFFER_SIZE);
        if (n < 0) {
          device.awaitReadable(POLL_MILLIS);
          continue;
        }
        if (n < header) {
          counters.drop(DropReason.MALFORMED, "shorter than its virtio header");
          continue;
        }
        buffer.clear().position(header).limit(n);
        boolean partial = header != 0 && VirtioNetHeader.needsChecksum(buffer, 0);
        Verdict verdict;
        try {
          verdict = rewriter.rewrite(buffer, partial);
        } catch (RuntimeException e) {
          // A bug, not the network's fault; keep the data path alive.
          log.error("Rewriter failed on a {}-byte packet", n, e);
          counters.drop(DropReason.MALFORMED, "rewriter failure");
          continue;
        }
        if (verdict == Verdict.DROP) {
          continue;
        }
        if (verdict == Verdict.REPLY && header != 0) {
          VirtioNetHeader.writePlain(buffer, 0); // a generated reply is complete and small
        }
        try {
          device.write(address + buffer.position() - header, buffer.remaining() + header);
        } catch (IOException e) {
          counters.drop(DropReason.WRITE_FAILED, e.getMessage());
        }
      }
    } catch (IOException e) {
      if (running) {
        log.error("TUN loop on {} stopped: {}", device.name(), e.getMessage());
      }
    } catch (RuntimeException | Error e) {
      log.error("TUN loop on {} failed", device.name(), e);
    }
    log.debug("Stopped reading {}", device.name());
  }
}
