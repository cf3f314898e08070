package dev.turnout.outbound.group;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic health checks of one configuration's url-test, fallback and load-balance groups,
 * between {@link #start()} and {@link #close()}. Thread-safe.
 */
public final class HealthChecks implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HealthChecks.class);

  private final List<CheckedGroup> groups;
  private final Scheduler scheduler;
  private final List<AutoCloseable> running = new ArrayList<>();

  HealthChecks(List<CheckedGroup> groups, Scheduler scheduler) {
    this.groups = List.copyOf(groups);
    this.scheduler = scheduler;
  }

  /** Starts checking every group now and then at its interval. */
  public synchronized void start() {
    if (!running.isEmpty()) {
      throw new IllegalStateException("already started");
    }
    for (CheckedGroup g : groups) {
      running.add(g.start(scheduler));
    }
  }

  /** Stops the checks. Open connections are not touched. */
  @Override
  public synchronized void close() {
    for (AutoCloseable r : running) {
      try {
        r.close();
      } catch (Exception e) {
        LOG.debug("stopping a health check", e);
      }
    }
    running.clear();
  }
}
