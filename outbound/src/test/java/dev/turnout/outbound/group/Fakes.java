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
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Fakes for group tests: members, a prober, a scheduler and a clock, all driven by the test. */
public final class Fakes {
  private Fakes() {}

  /** A member that records which destinations it was asked for. */
  public static final class Member implements Outbound {
    final String name;
    final List<Destination> asked = new ArrayList<>();

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
      return ImmediateEventExecutor.INSTANCE.newFailedFuture(new Exception("fake " + name));
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
  public static final class Scheduler implements dev.turnout.outbound.group.Scheduler {
    final ManualTimeSource clock;
    final List<Object[]> tasks = new ArrayList<>();

    public Scheduler(ManualTimeSource clock) {
      this.clock = clock;
    }

    @Override
    public AutoCloseable every(Duration interval, Runnable task) {
      Object[] t = {interval, task, clock.instant()};
      tasks.add(t);
      task.run();
      return () -> tasks.remove(t);
    }

    void advance(Duration d) {
      Instant end = clock.instant().plus(d);
      while (true) {
        Object[] next = null;
        Instant due = null;
        for (Object[] t : tasks) {
          Instant at = ((Instant) t[2]).plus((Duration) t[0]);
          if (!at.isAfter(end) && (due == null || at.isBefore(due))) {
            next = t;
            due = at;
          }
        }
        if (next == null) {
          break;
        }
        clock.advanceTo(due);
        next[2] = due;
        ((Runnable) next[1]).run();
      }
      clock.advanceTo(end);
    }
  }
}
