package dev.turnout.launcher.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A writer that cannot keep up never blocks the threads that log; drops are reported. */
class NonBlockingAppenderTest {
  /** Blocks every write until released: stderr that nobody reads. */
  static final class StuckWriter extends AppenderBase<ILoggingEvent> {
    final CountDownLatch release = new CountDownLatch(1);
    final List<String> written = new CopyOnWriteArrayList<>();

    @Override
    protected void append(ILoggingEvent event) {
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      written.add(event.getFormattedMessage());
    }
  }

  @Test
  void aStuckWriterDropsLinesInsteadOfBlockingAndSaysHowMany() throws Exception {
    StuckWriter writer = new StuckWriter();
    NonBlockingAppender appender = new NonBlockingAppender();
    Logger logger = wire(appender, 8, writer);

    long start = System.nanoTime();
    for (int i = 0; i < 10_000; i++) {
      logger.info("line {}", i);
    }
    assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(5));
    assertThat(appender.dropped()).isGreaterThan(9_000);

    writer.release.countDown();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (appender.getNumberOfElementsInQueue() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    logger.info("after");
    appender.stop();
    assertThat(writer.written).contains("line 0", "after");
    assertThat(writer.written)
        .anyMatch(line -> line.matches("\\d+ log lines dropped: the log writer could not keep up"));
  }

  /** Records what it is given. */
  static final class Recorder extends AppenderBase<ILoggingEvent> {
    final List<String> written = new CopyOnWriteArrayList<>();

    @Override
    protected void append(ILoggingEvent event) {
      written.add(event.getFormattedMessage());
    }
  }

  @Test
  void linesArriveInOrderAndALineAfterAQuietSpellWakesTheWriter() throws Exception {
    Recorder recorder = new Recorder();
    // The writer's own fallback wake-up is far beyond the wait below: only the line can wake it.
    NonBlockingAppender appender = new NonBlockingAppender(TimeUnit.MINUTES.toMillis(10));
    Logger logger = wire(appender, 4096, recorder);
    try {
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 1000; i++) {
          logger.info("round {} line {}", round, i);
        }
        int expected = (round + 1) * 1000;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (recorder.written.size() < expected && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        assertThat(recorder.written).hasSize(expected);
        Thread.sleep(100); // the writer finds the queue empty and goes to sleep
      }
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 1000; i++) {
          assertThat(recorder.written.get(round * 1000 + i))
              .isEqualTo("round " + round + " line " + i);
        }
      }
      assertThat(appender.dropped()).isZero();
    } finally {
      appender.stop();
    }
  }

  @Test
  void stopWritesWhatIsQueued() {
    Recorder recorder = new Recorder();
    NonBlockingAppender appender = new NonBlockingAppender();
    Logger logger = wire(appender, 4096, recorder);
    for (int i = 0; i < 2000; i++) {
      logger.info("line {}", i);
    }
    appender.stop();
    assertThat(recorder.written).hasSize(2000).endsWith("line 1999");
    assertThat(recorder.isStarted()).isFalse();
  }

  /** A logger of its own context that logs at INFO through {@code appender} into {@code out}. */
  static Logger wire(NonBlockingAppender appender, int queueSize, Appender<ILoggingEvent> out) {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    out.setContext(context);
    out.start();
    appender.setContext(context);
    appender.setQueueSize(queueSize);
    appender.addAppender(out);
    appender.start();
    Logger logger = context.getLogger("test");
    logger.setAdditive(false);
    logger.setLevel(Level.INFO);
    logger.addAppender(appender);
    return logger;
  }
}
