package dev.turnout.testing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Netty's leak detector at {@code PARANOID} (every buffer tracked) for the length of a test, and
 * its verdict: {@link #assertNoLeaks} collects garbage, lets the detector look at what was
 * collected, and fails with Netty's own report if a buffer was dropped without being released.
 * Reports reach it as log events of {@code io.netty.util.ResourceLeakDetector} (logback). Not
 * thread-safe: one per test; close it to restore the level.
 */
public final class LeakCheck implements AutoCloseable {
  private static final String DETECTOR = ResourceLeakDetector.class.getName();

  private final ResourceLeakDetector.Level before;
  private final ListAppender<ILoggingEvent> reports = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(DETECTOR);

  private LeakCheck() {
    before = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    reports.start();
    logger.addAppender(reports);
  }

  /** Turns paranoid leak detection on until {@link #close}. */
  public static LeakCheck paranoid() {
    return new LeakCheck();
  }

  /** Bytes in use by {@code alloc} now (heap and direct), when it keeps count; -1 otherwise. */
  public static long used(ByteBufAllocator alloc) {
    if (alloc instanceof ByteBufAllocatorMetricProvider metered) {
      return metered.metric().usedHeapMemory() + metered.metric().usedDirectMemory();
    }
    return -1;
  }

  /** Fails if Netty reported a buffer that was garbage collected without being released. */
  public void assertNoLeaks() throws InterruptedException {
    for (int round = 0; round < 3; round++) {
      System.gc();
      Thread.sleep(50);
      // The detector looks at collected buffers when new ones are tracked.
      for (int i = 0; i < 256; i++) {
        ByteBuf probe = PooledByteBufAllocator.DEFAULT.buffer(1);
        probe.release();
        ByteBufAllocator.DEFAULT.buffer(1).release();
      }
    }
    List<String> leaks =
        reports.list.stream()
            .map(ILoggingEvent::getFormattedMessage)
            .filter(m -> m.contains("LEAK"))
            .toList();
    assertThat(leaks).as("Netty's leak reports").isEmpty();
  }

  @Override
  public void close() {
    logger.detachAppender(reports);
    reports.stop();
    ResourceLeakDetector.setLevel(before);
  }
}
