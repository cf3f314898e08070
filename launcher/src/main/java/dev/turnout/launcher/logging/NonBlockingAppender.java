package dev.turnout.launcher.logging;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Logback's asynchronous appender that never blocks the thread that logs: packet, DNS and relay
 * threads hand lines to a bounded queue, and when the writer falls behind (a slow terminal, stderr
 * nobody reads) further lines are dropped, counted, and reported by one line as soon as the queue
 * has room again. Without this, a full queue stopped every thread that logged — the TUN reader
 * included, and with it all traffic.
 */
public final class NonBlockingAppender extends AsyncAppender {
  private static final String SELF = NonBlockingAppender.class.getName();

  private final AtomicLong dropped = new AtomicLong(); // since the last report
  private final AtomicLong totalDropped = new AtomicLong();

  public NonBlockingAppender() {
    setNeverBlock(true);
    setDiscardingThreshold(0); // no silent dropping by level; only a full queue drops
  }

  /** Lines dropped since start because the queue was full. */
  public long dropped() {
    return totalDropped.get();
  }

  @Override
  protected void append(ILoggingEvent event) {
    if (getRemainingCapacity() == 0) {
      dropped.incrementAndGet();
      totalDropped.incrementAndGet();
      return;
    }
    long missed = dropped.getAndSet(0);
    if (missed > 0) {
      super.append(droppedLine(event, missed));
    }
    super.append(event);
  }

  private ILoggingEvent droppedLine(ILoggingEvent next, long missed) {
    Logger logger = (Logger) org.slf4j.LoggerFactory.getLogger(NonBlockingAppender.class);
    LoggingEvent line =
        new LoggingEvent(
            SELF,
            logger,
            Level.WARN,
            "{} log lines dropped: the log writer could not keep up",
            null,
            new Object[] {missed});
    line.setTimeStamp(next.getTimeStamp());
    return line;
  }
}
