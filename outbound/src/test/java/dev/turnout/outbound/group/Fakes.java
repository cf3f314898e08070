package dev.turnout.outbound.group;

import dev.turnout.netbase.ManualTimeSource;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Outbound;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Fakes for group tests: members, a prober, a scheduler and a clock, all driven by the test. */
public final class Fakes {
  private Fakes() {}

  /** A member that records which destinations it was asked for; its connections fail. */
  public static final class Member implements Outbound {
    final String name;
    final List<Destination> asked = new ArrayList<>();
    volatile boolean answers; // its connections succeed (with no channel) instead

    public Member(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public synchronized Future<Channel> connect(Destination d, EventLoop loop) {
      asked.add(d);
      return answers
          ? ImmediateEventExecutor.INSTANCE.newSucceededFuture(null)
          : ImmediateEventExecutor.INSTANCE.newFailedFuture(new Exception("fake " + name));
    }
  }

  /** Answers each probe from a table: a delay in ms, or absent for a dead member. */
  public static final class Prober implements dev.turnout.outbound.group.Prober {
    public final Map<String, Long> delays = new HashMap<>();
    public final List<String> probed = new ArrayList<>();

    @Override
    public synchronized CompletionStage<Duration> probe(Outbound m, URI url, Duration timeout) {
      probed.add(m.name());
      Long d = delays.get(m.name());
      return d == null
          ? CompletableFuture.failedFuture(new Exception("dead"))
          : CompletableFuture.completedFuture(Duration.ofMillis(d));
    }
  }

  /** Runs periodic tasks when the test advances the clock. */
  /** Runs tasks at fixed rates on the clock's monotonic time, as Netty's event loops do. */
  public static final class Scheduler implements dev.turnout.outbound.group.Scheduler {
    final ManualTimeSource clock;
    final List<long[]> tasks = new ArrayList<>(); // {interval, last run}, nanos
    final List<Runnable> runs = new ArrayList<>();

    public Scheduler(ManualTimeSource clock) {
      this.clock = clock;
    }

    @Override
    public AutoCloseable every(Duration interval, Runnable task) {
      long[] t = {interval.toNanos(), clock.nanoTime()};
      tasks.add(t);
      runs.add(task);
      task.run();
      return () -> {
        int i = tasks.indexOf(t);
        tasks.remove(i);
        runs.remove(i);
      };
    }

    void advance(Duration d) {
      long end = clock.nanoTime() + d.toNanos();
      while (true) {
        int next = -1;
        long due = 0;
        for (int i = 0; i < tasks.size(); i++) {
          long at = tasks.get(i)[1] + tasks.get(i)[0];
          if (at - end <= 0 && (next < 0 || at - due < 0)) {
            next = i;
            due = at;
          }
        }
        if (next < 0) {
          break;
        }
        clock.advance(Duration.ofNanos(due - clock.nanoTime()));
        tasks.get(next)[1] = due;
        runs.get(next).run();
      }
      clock.advance(Duration.ofNanos(end - clock.nanoTime()));
    }
  }
}
