package dev.turnout.launcher.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.Flushable;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Lines to standard error, written a batch at a time: {@link NonBlockingAppender} hands this one
 * the lines of a batch and then calls {@link #flush}, so a busy relay's line per connection costs
 * one write(2) per batch instead of one per line (Logback's {@code ConsoleAppender} goes through
 * {@code System.err}, which flushes every line). A line is never split: the buffer is written out
 * before a line that would not fit, and a longer line is written whole. Closing leaves file
 * descriptor 2 open for whatever prints after logging stopped.
 */
public final class StderrAppender extends OutputStreamAppender<ILoggingEvent> implements Flushable {
  static final int BUFFER_BYTES = 64 * 1024;

  private final OutputStream target;
  private boolean failed; // guarded by streamWriteLock

  public StderrAppender() {
    this(new FileOutputStream(FileDescriptor.err));
  }

  /** Writes to {@code target} instead, for tests. */
  StderrAppender(OutputStream target) {
    this.target = target;
  }

  @Override
  public void start() {
    setImmediateFlush(false);
    setOutputStream(new BufferedOutputStream(new Unclosed(target), BUFFER_BYTES));
    super.start();
  }

  /**
   * Writes out the lines buffered so far. The first error writing (stderr closed) goes to Logback's
   * status list; later ones, one per batch, are not reported.
   */
  @Override
  public void flush() {
    streamWriteLock.lock();
    try {
      OutputStream out = getOutputStream();
      if (out != null) {
        out.flush();
      }
    } catch (IOException e) {
      if (!failed) {
        failed = true;
        addError("writing to stderr failed; later failures are not reported", e);
      }
    } finally {
      streamWriteLock.unlock();
    }
  }

  /** Flushes on close and keeps the descriptor open. */
  private static final class Unclosed extends OutputStream {
    private final OutputStream out;

    Unclosed(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      out.flush();
    }
  }
}
