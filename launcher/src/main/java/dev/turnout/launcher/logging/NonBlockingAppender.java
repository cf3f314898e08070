package dev.turnout.launcher.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.spi.AppenderAttachable;
import ch.qos.logback.core.spi.AppenderAttachableImpl;
import java.io.Flushable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * An asynchronous appender that never blocks the thread that logs and does not wake its writer for
 * every line: packet, DNS and relay threads put lines in a bounded queue, and one writer thread
 * hands them to the attached appenders in batches, waking about every {@value #BATCH_MILLIS} ms
 * while lines keep coming. Only a line that finds the writer asleep (the log was quiet) wakes it.
 * So a busy relay, which logs a line per connection, pays for a queue insertion, not for a thread
 * wake-up and a context switch per line. When the writer falls behind (a slow terminal, stderr
 * nobody reads) further lines are dropped, counted, and reported by one line as soon as the queue
 * has room again. Lines reach the attached appenders at most {@value #BATCH_MILLIS} ms late, and
 * appenders that buffer ({@link java.io.Flushable}, as {@link StderrAppender}) are flushed after
 * each batch, so a batch costs one write.
 *
 * <p>Configured like Logback's {@code AsyncAppender} ({@code queueSize}, {@code appender-ref});
 * {@link #stop} writes what is queued. Thread-safe.
 */
public final class NonBlockingAppender extends UnsynchronizedAppenderBase<ILoggingEvent>
    implements AppenderAttachable<ILoggingEvent> {
  private static final String SELF = NonBlockingAppender.class.getName();
  private static final long BATCH_MILLIS = 20;

  private final AppenderAttachableImpl<ILoggingEvent> appenders = new AppenderAttachableImpl<>();
  private final AtomicLong dropped = new AtomicLong(); // since the last report
  private final AtomicLong totalDropped = new AtomicLong();
  private int queueSize = 256;
  private ArrayBlockingQueue<ILoggingEvent> queue;
  private Thread writer;
  private volatile boolean asleep;
  // A missed wake-up (it cannot happen, see append) would still delay a line by at most this.
  private final long asleepMillis;

  public NonBlockingAppender() {
    this(1000);
  }

  /** With a longer fallback wake-up, a test shows that a line wakes the writer by itself. */
  NonBlockingAppender(long asleepMillis) {
    this.asleepMillis = asleepMillis;
  }

  /** How many lines may wait for the writer; set before {@link #start}. */
  public void setQueueSize(int queueSize) {
    this.queueSize = queueSize;
  }

  /** Lines dropped since start because the queue was full. */
  public long dropped() {
    return totalDropped.get();
  }

  /** Lines waiting for the writer. */
  public int getNumberOfElementsInQueue() {
    ArrayBlockingQueue<ILoggingEvent> q = queue;
    return q == null ? 0 : q.size();
  }

  @Override
  public void start() {
    if (isStarted()) {
      return;
    }
    if (queueSize < 1) {
      addError("queueSize must be positive");
      return;
    }
    queue = new ArrayBlockingQueue<>(queueSize);
    writer = new Thread(this::write, "turnout-log-writer");
    writer.setDaemon(true);
    super.start();
    writer.start();
  }

  /** Writes what is queued (waiting at most a second), then stops the attached appenders. */
  @Override
  public void stop() {
    if (!isStarted()) {
      return;
    }
    super.stop();
    LockSupport.unpark(writer);
    try {
      writer.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    appenders.detachAndStopAllAppenders();
  }

  @Override
  protected void append(ILoggingEvent event) {
    event.prepareForDeferredProcessing(); // the message and thread name as of now
    long missed = dropped.get();
    if (missed > 0 && queue.remainingCapacity() > 1 && dropped.compareAndSet(missed, 0)) {
      queue.offer(droppedLine(event, missed));
    }
    if (!queue.offer(event)) {
      dropped.incrementAndGet();
      totalDropped.incrementAndGet();
      return;
    }
    // The writer says it is asleep before it looks at the queue a last time, and this line is in
    // the queue before we look at the flag: one of the two sees the other.
    if (asleep) {
      asleep = false;
      LockSupport.unpark(writer);
    }
  }

  private void write() {
    List<ILoggingEvent> batch = new ArrayList<>();
    while (isStarted() || !queue.isEmpty()) {
      if (queue.drainTo(batch) == 0) {
        asleep = true;
        if (queue.isEmpty() && isStarted()) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(asleepMillis));
        }
        asleep = false;
        continue;
      }
      for (ILoggingEvent event : batch) {
        try {
          appenders.appendLoopOnAppenders(event);
        } catch (RuntimeException e) {
          addError("an appender failed", e);
        }
      }
      batch.clear();
      flushAppenders();
      if (isStarted()) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(BATCH_MILLIS));
      }
    }
  }

  /** Ends a batch: appenders that buffer ({@link StderrAppender}) write it out in one go. */
  private void flushAppenders() {
    for (Iterator<Appender<ILoggingEvent>> it = appenders.iteratorForAppenders(); it.hasNext(); ) {
      if (it.next() instanceof Flushable buffered) {
        try {
          buffered.flush();
        } catch (IOException | RuntimeException e) {
          addError("an appender failed to flush", e);
        }
      }
    }
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
    line.prepareForDeferredProcessing();
    return line;
  }

  @Override
  public void addAppender(Appender<ILoggingEvent> appender) {
    appenders.addAppender(appender);
  }

  @Override
  public Iterator<Appender<ILoggingEvent>> iteratorForAppenders() {
    return appenders.iteratorForAppenders();
  }

  @Override
  public Appender<ILoggingEvent> getAppender(String name) {
    return appenders.getAppender(name);
  }

  @Override
  public boolean isAttached(Appender<ILoggingEvent> appender) {
    return appenders.isAttached(appender);
  }

  @Override
  public void detachAndStopAllAppenders() {
    appenders.detachAndStopAllAppenders();
  }

  @Override
  public boolean detachAppender(Appender<ILoggingEvent> appender) {
    return appenders.detachAppender(appender);
  }

  @Override
  public boolean detachAppender(String name) {
    return appenders.detachAppender(name);
  }
}
