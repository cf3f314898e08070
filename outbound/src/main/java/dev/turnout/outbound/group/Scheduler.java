package dev.turnout.outbound.group;

import java.time.Duration;

/**
 * Runs periodic tasks; injected so that group health checks are tested without sleeping.
 * Implementations are thread-safe.
 */
public interface Scheduler {
  /** Runs {@code task} now and then every {@code interval} until the returned handle is closed. */
  AutoCloseable every(Duration interval, Runnable task);
}
