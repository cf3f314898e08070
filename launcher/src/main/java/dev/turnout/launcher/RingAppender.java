package dev.turnout.launcher;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import dev.turnout.controller.spi.LogRing;
import dev.turnout.relay.ConnectionLog;
import java.util.Locale;

/**
 * Feeds log events to the controller's {@code /logs} streams through a {@link LogRing}: on the
 * logging thread it only formats the line and stores it in the ring (never waits, never takes a
 * lock; a reader that falls behind loses lines and is told how many), and does nothing at all while
 * no dashboard reads. Lines carry their source in brackets as mihomo's do, which metacubexd shows
 * as a column: the per-connection lines of {@code turnout.connection} as {@code [TCP] ...} or
 * {@code [UDP] ...}, others as {@code [Logger] ...}. Thread-safe.
 */
final class RingAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
  private final LogRing ring;

  private RingAppender(LogRing ring) {
    this.ring = ring;
  }

  /** Starts feeding {@code ring} from the root logger. */
  static RingAppender attach(LogRing ring) {
    RingAppender appender = new RingAppender(ring);
    appender.setName("controller");
    appender.setContext(Logging.root().getLoggerContext());
    appender.start();
    Logging.root().addAppender(appender);
    return appender;
  }

  void detach() {
    Logging.root().detachAppender(this);
    stop();
  }

  @Override
  protected void append(ILoggingEvent event) {
    if (!ring.hasReaders()) {
      return;
    }
    ring.publish(level(event.getLevel()), payload(event));
  }

  static int level(Level level) {
    return switch (level.toInt()) {
      case Level.ERROR_INT -> 3;
      case Level.WARN_INT -> 2;
      case Level.INFO_INT -> 1;
      default -> 0;
    };
  }

  static String payload(ILoggingEvent event) {
    String message = event.getFormattedMessage();
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      message += ": " + thrown.getClassName() + ": " + thrown.getMessage();
    }
    if (event.getLoggerName().equals(ConnectionLog.CONNECTIONS.getName())) {
      int space = message.indexOf(' ');
      String first = space < 0 ? "" : message.substring(0, space);
      if (first.equals("tcp") || first.equals("udp")) {
        return "[" + first.toUpperCase(Locale.ROOT) + "] " + message.substring(space + 1);
      }
      return "[Connection] " + message;
    }
    String logger = event.getLoggerName();
    return "[" + logger.substring(logger.lastIndexOf('.') + 1) + "] " + message;
  }
}
