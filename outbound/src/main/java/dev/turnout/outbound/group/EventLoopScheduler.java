package dev.turnout.outbound.group;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * The production {@link Scheduler}: fixed-rate tasks on a Netty event loop; a task that throws is
 * logged and runs again at its next time. Thread-safe.
 */
public final class EventLoopScheduler implements Scheduler {
  private final EventLoopGroup loops;

  public EventLoopScheduler(EventLoopGroup loops) {
    this.loops = loops;
  }

  @Override
  public AutoCloseable every(Duration interval, Runnable task) {
    Runnable guarded =
        () -> {
          try {
            task.run();
          } catch (RuntimeException e) {
            // One failed run must not cancel the schedule.
            LoggerFactory.getLogger(EventLoopScheduler.class).warn("scheduled task failed", e);
          }
        };
    ScheduledFuture<?> f =
        loops.next().scheduleAtFixedRate(guarded, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return () -> f.cancel(false);
  }
}
