package dev.turnout.relay.splice;

import io.netty.channel.IoEventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The spliced pairs of one event loop, with what they share there: the pool of empty pipes and the
 * copy buffer, and a sweep about once a second that closes pairs idle longer than the timeout (from
 * the loop's first pair until the relay closes: stopping and starting it as the count touches zero
 * would reset the loop's timer for every short connection). Confined to the loop's thread.
 */
final class LoopSplices {
  private static final long SWEEP_SECONDS = 1;

  final IoEventLoop loop;
  final PipePool pipes = new PipePool();
  private final long idleNanos;
  private final Set<SplicedPair> pairs = new LinkedHashSet<>();
  private ScheduledFuture<?> sweep;

  LoopSplices(IoEventLoop loop, long idleNanos) {
    this.loop = loop;
    this.idleNanos = idleNanos;
  }

  /** Registers a new pair's sockets on the loop and moves what can be moved already. */
  void start(SplicedPair pair) {
    pairs.add(pair);
    if (sweep == null) {
      sweep =
          loop.scheduleAtFixedRate(this::closeIdle, SWEEP_SECONDS, SWEEP_SECONDS, TimeUnit.SECONDS);
    }
    pair.start();
  }

  /** A pair has let go of everything. */
  void finished(SplicedPair pair) {
    pairs.remove(pair);
  }

  private void closeIdle() {
    long now = System.nanoTime();
    for (SplicedPair pair : new ArrayList<>(pairs)) {
      if (now - pair.lastActive > idleNanos) {
        pair.finish(new IOException("idle timeout"));
      }
    }
  }

  /** Ends every pair and lets go of the pipes: the relay is closing. */
  void close() {
    for (SplicedPair pair : new ArrayList<>(pairs)) {
      pair.finish(new IOException("splice relay stopped"));
    }
    if (sweep != null) {
      sweep.cancel(false);
      sweep = null;
    }
    pipes.clear();
  }
}
