package dev.turnout.launcher.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
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
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    StuckWriter writer = new StuckWriter();
    writer.setContext(context);
    writer.start();
    NonBlockingAppender appender = new NonBlockingAppender();
    appender.setContext(context);
    appender.setQueueSize(8);
    appender.addAppender(writer);
    appender.start();
    Logger logger = context.getLogger("test");
    logger.setAdditive(false);
    logger.setLevel(Level.INFO);
    logger.addAppender(appender);

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
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    Recorder recorder = new Recorder();
    recorder.setContext(context);
    recorder.start();
    // The writer's own fallback wake-up is far beyond the wait below: only the line can wake it.
    NonBlockingAppender appender = new NonBlockingAppender(TimeUnit.MINUTES.toMillis(10));
    appender.setContext(context);
    appender.setQueueSize(4096);
    appender.addAppender(recorder);
    appender.start();
    Logger logger = context.getLogger("test");
    logger.setAdditive(false);
    logger.setLevel(Level.INFO);
    logger.addAppender(appender);
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
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    Recorder recorder = new Recorder();
    recorder.setContext(context);
    recorder.start();
    NonBlockingAppender appender = new NonBlockingAppender();
    appender.setContext(context);
    appender.setQueueSize(4096);
    appender.addAppender(recorder);
    appender.start();
    Logger logger = context.getLogger("test");
    logger.setAdditive(false);
    logger.addAppender(appender);
    for (int i = 0; i < 2000; i++) {
      logger.info("line {}", i);
    }
    appender.stop();
    assertThat(recorder.written).hasSize(2000).endsWith("line 1999");
    assertThat(recorder.isStarted()).isFalse();
  }
}
