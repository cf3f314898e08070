package dev.turnout.relay.tcp;

import dev.turnout.netbase.LogLimiter;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handler of a listening channel: an accept that fails (out of file descriptors, EMFILE or
 * ENFILE) is counted, logged at most once a second, and accepting pauses for {@value #PAUSE_MILLIS}
 * ms, so the loop neither spins on a backlog it cannot take nor writes a line per attempt. The
 * waiting connections stay in the kernel's backlog and are accepted once descriptors are free again
 * (or give up by their own timeout); connections already accepted are untouched. One per listener;
 * runs on the listener's event loop.
 */
public final class AcceptPause extends ChannelInboundHandlerAdapter {
  static final long PAUSE_MILLIS = 100;
  private static final Logger log = LoggerFactory.getLogger(AcceptPause.class);

  private final String listener;
  private final LogLimiter logLimit = new LogLimiter(1, 1);
  private final LongAdder failures = new LongAdder();

  /** {@code listener} names the listener in the log. */
  public AcceptPause(String listener) {
    this.listener = listener;
  }

  /** Accepts that failed so far; any thread. */
  public long failures() {
    return failures.sum();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!(cause instanceof IOException)) {
      ctx.fireExceptionCaught(cause);
      return;
    }
    failures.increment();
    if (logLimit.allow()) {
      log.warn(
          "{}: accepting a connection failed: {}; pausing {} ms ({} more not logged)",
          listener,
          cause.getMessage(),
          PAUSE_MILLIS,
          logLimit.takeSuppressed());
    }
    // Not passed on: Netty's acceptor would pause a whole second and log a stack trace each time.
    ChannelConfig config = ctx.channel().config();
    if (config.isAutoRead()) {
      config.setAutoRead(false);
      ctx.executor()
          .schedule(
              () -> ctx.channel().config().setAutoRead(true), PAUSE_MILLIS, TimeUnit.MILLISECONDS);
    }
  }
}
