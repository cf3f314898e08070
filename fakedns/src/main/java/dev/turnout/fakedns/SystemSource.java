package dev.turnout.fakedns;

import dev.turnout.netbase.TimeSource;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The {@code system} entry's servers: {@link SystemNameservers}, read when the entry is built and
 * again at most every 2 s while queries come, so that a laptop that joins another network follows
 * its resolvers. The re-read runs on {@code executor}, never on the thread that asks: queries use
 * the servers read last meanwhile.
 */
final class SystemSource implements ServerSource {
  static final Duration RECHECK = Duration.ofSeconds(2);

  private final Supplier<List<InetAddress>> read;
  private final TimeSource ticker;
  private final Executor executor;
  private final AtomicBoolean reading = new AtomicBoolean();
  private volatile List<InetAddress> servers;
  private volatile long readAt;

  SystemSource(Supplier<List<InetAddress>> read, TimeSource ticker, Executor executor) {
    this.read = read;
    this.ticker = ticker;
    this.executor = executor;
    this.servers = read.get();
    this.readAt = ticker.nanoTime();
  }

  @Override
  public CompletableFuture<List<InetAddress>> servers() {
    if (ticker.nanoTime() - readAt >= RECHECK.toNanos() && reading.compareAndSet(false, true)) {
      try {
        executor.execute(this::reread);
      } catch (RuntimeException e) { // the pool refused: try again at the next query
        reading.set(false);
      }
    }
    return CompletableFuture.completedFuture(servers);
  }

  private void reread() {
    try {
      servers = read.get();
      readAt = ticker.nanoTime();
    } finally {
      reading.set(false);
    }
  }
}
