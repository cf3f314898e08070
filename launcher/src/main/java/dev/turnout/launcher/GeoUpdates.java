package dev.turnout.launcher;

import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.netbase.TimeSource;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Updates of the geodata databases while Turnout runs, as mihomo makes them: when the controller
 * asks ({@code POST /configs/geo}), and with {@code geo-auto-update} whenever the oldest of them
 * was last checked {@code geo-update-interval} ago (looked at 5 seconds after the start, then every
 * 10 minutes, so a machine that slept catches up). Each update downloads every database the
 * configuration uses ({@link GeoDownloads#updatable}) and, when one changed, reloads the
 * configuration so that rules and DNS read the new files; open connections keep their routes. One
 * update at a time, on a thread of its own. A failed one is retried after an hour (or the interval,
 * if shorter).
 */
final class GeoUpdates implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(GeoUpdates.class);
  static final Duration FIRST_CHECK = Duration.ofSeconds(5);
  static final Duration CHECK_EVERY = Duration.ofMinutes(10);
  static final Duration RETRY_AFTER = Duration.ofHours(1);

  private final Reloader reloader;
  private final Supplier<TurnoutConfig> current;
  private final TimeSource clock;
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(Assembly.daemonThreads("turnout-geodata"));
  private final AtomicBoolean updating = new AtomicBoolean();
  private volatile Instant lastTry; // null: none yet
  private volatile ScheduledFuture<?> checks;

  GeoUpdates(Reloader reloader, Supplier<TurnoutConfig> current, TimeSource clock) {
    this.reloader = reloader;
    this.current = current;
    this.clock = clock;
  }

  /** Starts the checks for {@code geo-auto-update}; they follow the configuration as reloaded. */
  void start(ScheduledExecutorService scheduler) {
    checks =
        scheduler.scheduleWithFixedDelay(
            this::check, FIRST_CHECK.toMillis(), CHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Downloads every database the running configuration uses and reloads it if one changed.
   * Completes exceptionally with an {@link IllegalStateException} while another update runs, an
   * {@link IOException} naming each failed download, or the reload's error.
   */
  CompletableFuture<Void> update(String why) {
    if (!updating.compareAndSet(false, true)) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("a geodata update is already running"));
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      thread.execute(() -> run(why, done));
    } catch (RejectedExecutionException e) {
      updating.set(false);
      done.completeExceptionally(new IllegalStateException("Turnout is stopping"));
    }
    return done;
  }

  private void run(String why, CompletableFuture<Void> done) {
    Throwable failed = null;
    try {
      lastTry = clock.instant();
      TurnoutConfig config = current.get();
      List<GeoDownloads.Target> targets = GeoDownloads.updatable(config, home());
      if (targets.isEmpty()) {
        log.info("geodata ({}): the configuration uses no database to update", why);
      } else {
        GeoDownloads.Outcome outcome = GeoDownloads.fetch(config, targets);
        if (!outcome.changed().isEmpty()) {
          reloader.reloadGeodata("geodata update").get();
        }
        if (!outcome.failures().isEmpty()) {
          failed = new IOException("geodata: " + String.join("; ", outcome.failures()));
        }
      }
    } catch (ExecutionException e) {
      failed = e.getCause();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failed = new IllegalStateException("Turnout is stopping");
    } catch (RuntimeException e) {
      log.warn("geodata ({}): {}", why, e.toString());
      failed = e;
    }
    updating.set(false);
    if (failed == null) {
      done.complete(null);
    } else {
      done.completeExceptionally(failed);
    }
  }

  private void check() {
    try {
      TurnoutConfig config = current.get();
      Duration interval = config.files().geoUpdateInterval();
      if (interval == null || updating.get()) {
        return;
      }
      List<GeoDownloads.Target> targets = GeoDownloads.updatable(config, home());
      if (due(targets, interval, clock.instant(), lastTry)) {
        update("geo-auto-update, every " + interval.toHours() + " h")
            .whenComplete(
                (v, e) -> {
                  if (e != null) {
                    log.warn("geodata: the update failed, retried later: {}", e.getMessage());
                  }
                });
      }
    } catch (RuntimeException e) {
      log.warn("geodata: cannot check for updates: {}", e.toString());
    }
  }

  /**
   * Whether an update is due at {@code now}: some database of {@code targets} is missing or was
   * last written or checked {@code interval} ago or more, and the last try (null: none) is older
   * than {@link #RETRY_AFTER} or the interval, whichever is shorter.
   */
  static boolean due(
      List<GeoDownloads.Target> targets, Duration interval, Instant now, Instant lastTry) {
    if (targets.isEmpty()) {
      return false;
    }
    Duration retry = interval.compareTo(RETRY_AFTER) < 0 ? interval : RETRY_AFTER;
    if (lastTry != null && lastTry.plus(retry).isAfter(now)) {
      return false;
    }
    for (GeoDownloads.Target t : targets) {
      try {
        if (!Files.getLastModifiedTime(t.file()).toInstant().plus(interval).isAfter(now)) {
          return true;
        }
      } catch (IOException e) { // missing: the download at start failed
        return true;
      }
    }
    return false;
  }

  private Path home() {
    return reloader.file().toAbsolutePath().normalize().getParent();
  }

  @Override
  public void close() {
    ScheduledFuture<?> c = checks;
    if (c != null) {
      c.cancel(false);
    }
    thread.shutdownNow();
  }
}
