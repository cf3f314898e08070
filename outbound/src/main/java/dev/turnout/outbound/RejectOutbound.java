package dev.turnout.outbound;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

/** REJECT: never connects. The relay answers the application with a reset. */
public final class RejectOutbound implements Outbound {
  /** Thrown into the future so the relay can tell a rejection from a failure. */
  public static final class Rejected extends Exception {
    Rejected() {
      super("rejected by rule", null, false, false);
    }
  }

  private static final Rejected REJECTED = new Rejected();

  @Override
  public String name() {
    return "REJECT";
  }

  @Override
  public Future<Channel> connect(Destination destination, EventLoop loop) {
    return loop.newFailedFuture(REJECTED);
  }
}
