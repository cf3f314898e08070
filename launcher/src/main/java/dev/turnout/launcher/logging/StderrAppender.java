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
 * Writes lines to standard error through a buffer that is emptied by {@link #flush}, not after
 * every line. Logback's console appender goes through {@code System.err}, which writes each line
 * with a syscall of its own; behind a {@link NonBlockingAppender}, which flushes once per batch, a
 * busy relay's line per connection then costs a share of one write, not a write. Closing it flushes
 * but leaves file descriptor 2 open: the JVM and a supervisor still use it.
 *
 * <p>Only for use behind one {@link NonBlockingAppender}, whose single writer thread both appends
 * and flushes.
 */
public final class StderrAppender extends OutputStreamAppender<ILoggingEvent> implements Flushable {
  private static final int BUFFER = 64 * 1024;

  private final OutputStream target;

  public StderrAppender() {
    this(new FileOutputStream(FileDescriptor.err));
  }

  /** Writing to {@code target} instead: a test reads what reaches it, and when. */
  StderrAppender(OutputStream target) {
    this.target = target;
  }

  @Override
  public void start() {
    setImmediateFlush(false);
    setOutputStream(new BufferedOutputStream(new FlushOnClose(target), BUFFER));
    super.start();
  }

  /** Hands what is buffered to standard error. */
  @Override
  public void flush() {
    OutputStream out = getOutputStream();
    if (out == null) {
      return;
    }
    try {
      out.flush();
    } catch (IOException e) {
      addError("could not write the log to standard error", e);
    }
  }

  /** Leaves the descriptor open when Logback closes the appender's stream at stop. */
  private static final class FlushOnClose extends OutputStream {
    private final OutputStream out;

    FlushOnClose(OutputStream out) {
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
