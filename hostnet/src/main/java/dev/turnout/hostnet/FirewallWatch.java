package dev.turnout.hostnet;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.turnout.netbase.LibC;
import dev.turnout.netbase.Threads;
import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls back after the nftables ruleset of this network namespace changed, so that what {@link
 * TunFirewall} opened is put back after a firewall reload: {@code ufw reload}, {@code firewall-cmd
 * --reload}, {@code systemctl restart nftables} and a restarted dockerd each rebuild their chains
 * without Turnout's accept, and with auto-route every relayed connection would then fail until
 * Turnout restarted.
 *
 * <p>It listens to nfnetlink's nftables multicast group, which {@code nft monitor} reads, and
 * parses nothing: any message means the ruleset changed (an overrun, ENOBUFS, too). A reload is a
 * burst of messages, so after the first it waits until the ruleset has been quiet for {@value
 * #QUIET_MILLIS} ms (at most {@value #MOST_MILLIS} ms), then calls back on its own thread, once.
 * Changes the callback makes come back as messages too; the callback then finds nothing missing and
 * changes nothing, so that ends there. iptables-nft and firewalld both write through nftables;
 * iptables-legacy does not, so its tables are looked at on a timer instead ({@link #start(Runnable,
 * Runnable, int)}).
 */
public final class FirewallWatch implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(FirewallWatch.class);
  private static final int NETLINK_NETFILTER = 12;
  private static final int NFNLGRP_NFTABLES = 7;
  private static final int MSG_DONTWAIT = 0x40;
  private static final int BUFFER = 65536;
  private static final int QUIET_MILLIS = 300;
  private static final int MOST_MILLIS = 3000;
  private static final int POLL_MILLIS = 250;

  private final int socket;
  private final Runnable onChange;
  private final Runnable onTick;
  private final long tickNanos;
  private final Thread thread;
  private final Memory buffer = new Memory(BUFFER);
  private final Memory pollFd = new Memory(8); // struct pollfd: int fd, short events, revents
  private volatile boolean running = true;
  private boolean closed;

  private FirewallWatch(int socket, Runnable onChange, Runnable onTick, int tickMillis) {
    this.socket = socket;
    this.onChange = onChange;
    this.onTick = onTick;
    this.tickNanos = TimeUnit.MILLISECONDS.toNanos(tickMillis);
    pollFd.setInt(0, socket);
    pollFd.setShort(4, LibC.POLLIN);
    this.thread = new Thread(this::run, "turnout-firewall-watch");
    thread.setDaemon(true);
  }

  /**
   * Starts watching; {@code onChange} runs on the watch's thread, never twice at once, and what it
   * throws is logged.
   *
   * @throws IOException if this kernel or process cannot listen (no nf_tables, no CAP_NET_ADMIN)
   */
  public static FirewallWatch start(Runnable onChange) throws IOException {
    return start(onChange, () -> {}, 0);
  }

  /**
   * As {@link #start(Runnable)}, also calling {@code onTick} on the watch's thread every {@code
   * tickMillis} ms (never if 0): for what changes without a message, iptables-legacy's tables.
   */
  public static FirewallWatch start(Runnable onChange, Runnable onTick, int tickMillis)
      throws IOException {
    LibC.checkPlatform("watching the firewall");
    int socket = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (socket < 0) {
      throw new IOException("open a netfilter netlink socket: " + LibC.strerror(LibC.errno()));
    }
    // Bound with the group in sockaddr_nl's bitmap, as nft monitor (libmnl) does: a socket that
    // joins it with NETLINK_ADD_MEMBERSHIP but is never bound receives nothing here.
    Memory address = new Memory(12); // sa_family, padding, nl_pid (0: the kernel picks), groups
    address.clear();
    address.setShort(0, (short) LibC.AF_NETLINK);
    address.setInt(8, 1 << (NFNLGRP_NFTABLES - 1));
    if (LibC.bind(socket, address, 12) < 0) {
      int errno = LibC.errno();
      LibC.close(socket);
      throw new IOException("listen to nftables' changes: " + LibC.strerror(errno));
    }
    FirewallWatch watch = new FirewallWatch(socket, onChange, onTick, tickMillis);
    watch.thread.start();
    return watch;
  }

  private void run() {
    long nextTick = System.nanoTime() + tickNanos;
    while (running) {
      if (tickNanos > 0 && System.nanoTime() - nextTick >= 0) {
        nextTick = System.nanoTime() + tickNanos;
        call(onTick);
      }
      if (!readable(POLL_MILLIS)) {
        continue;
      }
      drain();
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MOST_MILLIS);
      while (running && System.nanoTime() < end && readable(QUIET_MILLIS)) {
        drain();
      }
      if (!running) {
        return;
      }
      call(onChange);
    }
  }

  private static void call(Runnable callback) {
    try {
      callback.run();
    } catch (RuntimeException e) { // a bug: keep watching
      log.error("host: acting on a change of the firewall failed", e);
    }
  }

  /** Whether a message (or an error, such as an overrun) is pending within {@code millis}. */
  private boolean readable(int millis) {
    pollFd.setShort(6, (short) 0);
    int n = LibC.poll(Pointer.nativeValue(pollFd), 1, millis);
    int errno = n < 0 ? LibC.errno() : 0;
    if (n < 0 && errno != LibC.EINTR) {
      log.warn("host: watching the firewall stops: poll: {}", LibC.strerror(errno));
      running = false;
    }
    return n > 0;
  }

  /** Reads every pending message, and clears an overrun. */
  private void drain() {
    for (int i = 0; i < 1024; i++) { // bounded: a firewall rewriting itself forever
      long n = LibC.recv(socket, buffer, BUFFER, MSG_DONTWAIT);
      if (n < 0) {
        int errno = LibC.errno();
        if (errno != LibC.ENOBUFS && errno != LibC.EINTR) {
          return; // EAGAIN: drained
        }
      }
    }
  }

  /** Stops the watch; returns once no callback runs or can start. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    running = false;
    Threads.joinUninterruptibly(thread);
    LibC.close(socket); // after the thread: its poll never meets a descriptor reused meanwhile
  }
}
