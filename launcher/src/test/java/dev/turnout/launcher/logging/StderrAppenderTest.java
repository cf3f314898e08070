package dev.turnout.launcher.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.core.status.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Behind the asynchronous appender, lines reach stderr a batch per write(2), whole and in order,
 * and stopping leaves stderr open.
 */
class StderrAppenderTest {
  /** Stands for file descriptor 2: keeps each write it is given. */
  static final class Target extends OutputStream {
    final List<byte[]> writes = new CopyOnWriteArrayList<>();
    volatile boolean closed;

    @Override
    public void write(int b) {
      writes.add(new byte[] {(byte) b});
    }

    @Override
    public void write(byte[] b, int off, int len) {
      writes.add(Arrays.copyOfRange(b, off, off + len));
    }

    @Override
    public void close() {
      closed = true;
    }

    String text() {
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      writes.forEach(all::writeBytes);
      return all.toString(StandardCharsets.UTF_8);
    }
  }

  @Test
  void aBatchOfLinesIsOneWriteAndStoppingLeavesStderrOpen() {
    Target target = new Target();
    NonBlockingAppender async = new NonBlockingAppender();
    Logger logger = NonBlockingAppenderTest.wire(async, 4096, stderr(target));
    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      logger.info("line {}", i);
      expected.append("line ").append(i).append('\n');
    }
    async.stop();

    assertThat(target.text()).isEqualTo(expected.toString());
    // A write per line would be 1,000; the writer takes the queue every 20 ms, so logging these
    // would have to take seconds to come near this bound.
    assertThat(target.writes).hasSizeLessThanOrEqualTo(100);
    assertThat(target.closed).isFalse();
  }

  @Test
  void aLineLongerThanTheBufferIsWrittenWholeAfterTheLinesBeforeIt() {
    Target target = new Target();
    NonBlockingAppender async = new NonBlockingAppender();
    Logger logger = NonBlockingAppenderTest.wire(async, 4096, stderr(target));
    String longLine = "x".repeat(StderrAppender.BUFFER_BYTES + 1000);
    logger.info("before");
    logger.info(longLine);
    logger.info("after");
    async.stop();

    assertThat(target.text()).isEqualTo("before\n" + longLine + "\nafter\n");
    assertThat(target.writes)
        .anyMatch(write -> new String(write, StandardCharsets.UTF_8).equals(longLine + "\n"));
  }

  @Test
  void aClosedStderrIsReportedOnceAndTheWriterGoesOn() throws Exception {
    OutputStream closed =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            throw new IOException("Broken pipe");
          }
        };
    StderrAppender stderr = stderr(closed);
    NonBlockingAppender async = new NonBlockingAppender();
    Logger logger = NonBlockingAppenderTest.wire(async, 4096, stderr);
    for (int batch = 0; batch < 5; batch++) {
      logger.info("line {}", batch);
      Thread.sleep(50); // a batch, and a flush, each
    }
    async.stop();

    List<String> reported =
        stderr.getContext().getStatusManager().getCopyOfStatusList().stream()
            .map(Status::getMessage)
            .filter(message -> message.startsWith("writing to stderr failed"))
            .toList();
    assertThat(reported).hasSize(1);
  }

  /** An appender not yet started ({@code wire} starts it) with a started {@code %msg%n} encoder. */
  private static StderrAppender stderr(OutputStream target) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(new LoggerContext());
    encoder.setPattern("%msg%n");
    encoder.start();
    StderrAppender appender = new StderrAppender(target);
    appender.setEncoder(encoder);
    return appender;
  }
}
