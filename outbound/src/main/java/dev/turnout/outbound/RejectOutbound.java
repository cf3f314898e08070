package dev.turnout.outbound;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

/**
 * REJECT and REJECT-DROP: never connect. The future fails with {@link Rejected}; {@link
 * Rejected#silent()} tells the relay whether to answer the application with a reset (REJECT) or
 * never answer at all (REJECT-DROP: ideally the SYN is dropped before the kernel accepts it).
 */
public final class RejectOutbound implements Outbound {
  public static final String REJECT = "REJECT";
  public static final String REJECT_DROP = "REJECT-DROP";

  /** Thrown into the future so the relay can tell a rejection from a failure. */
  public static final class Rejected extends Exception {
    private final boolean silent;

    Rejected(boolean silent) {
      super(silent ? "dropped by rule" : "rejected by rule", null, false, false);
      this.silent = silent;
    }

    /** True for REJECT-DROP: send nothing back, not even a reset. */
    public boolean silent() {
      return silent;
    }
  }

  private final Rejected rejected;

  /** REJECT. */
  public RejectOutbound() {
    this(false);
  }

  private RejectOutbound(boolean silent) {
    this.rejected = new Rejected(silent);
  }

  /** REJECT-DROP. */
  public static RejectOutbound drop() {
    return new RejectOutbound(true);
  }

  @Override
  public String name() {
    return rejected.silent ? REJECT_DROP : REJECT;
  }

  @Override
  public String type() {
    return rejected.silent ? "RejectDrop" : "Reject";
  }

  @Override
  public Future<Channel> connect(Destination destination, EventLoop loop) {
    return loop.newFailedFuture(rejected);
  }
}
