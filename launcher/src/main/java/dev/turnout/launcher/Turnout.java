package dev.turnout.launcher;

import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.TurnoutConfig;
import java.io.Closeable;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Turnout's lifecycle: {@link Assembly} starts the parts in dependency order and
 * registers each one's undo here; {@link #close} undoes everything in reverse order, and is what
 * runs on SIGINT and SIGTERM (also after a start that failed half way).
 */
final class Turnout implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(Turnout.class);

  /** Everything to undo, newest first. */
  private final Deque<Closeable> started = new ArrayDeque<>();

  private Turnout() {}

  /**
   * Starts, logging at {@code logLevel} (the file's or the command line's), waits for
   * SIGINT/SIGTERM, stops. With {@code watch}, reloads the file when it changes. Returns the
   * process exit code.
   */
  static int runUntilSignalled(TurnoutConfig config, String logLevel, boolean watch) {
    Logging.setLevel(logLevel);
    Turnout turnout = new Turnout();
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              turnout.close();
              stopped.countDown();
            },
            "turnout-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      Assembly.start(config, watch, turnout::onStop);
    } catch (ConfigException e) {
      Main.printProblems(e);
      return Main.EXIT_CONFIG;
    } catch (Exception e) {
      log.error("cannot start: {}", e.getMessage(), e.getCause() == null ? null : e);
      return Main.EXIT_FAILURE; // the hook undoes what did start
    }
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  private synchronized void onStop(Closeable undo) {
    started.push(undo);
  }

  /**
   * Undoes everything started, newest first, then drains the asynchronous log appender so that no
   * line is lost when the JVM halts. Runs once, from the shutdown hook.
   */
  @Override
  public synchronized void close() {
    if (!started.isEmpty()) {
      log.info("stopping");
      while (!started.isEmpty()) {
        Closeable next = started.pop();
        try {
          next.close();
        } catch (Exception e) {
          log.warn("while stopping {}: {}", next, e.toString());
        }
      }
      log.info("Turnout stopped");
    }
    Logging.stop();
  }
}
