package dev.turnout.relay.tcp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;

/**
 * Ends a relayed TCP connection on request (the controller closing it): both sides at once, the
 * application seeing a reset. Before the splice hand-over the channels are closed on their event
 * loop; after it, the splice relay is asked to let go of the pair (it owns duplicates of the
 * descriptors, so only it may end them), and the channels close when it has.
 */
final class Closer implements Runnable {
  private final Channel inbound;
  private final Channel upstream;
  private volatile Runnable abortSplice; // set once the splice relay owns the pair
  private volatile boolean reset;

  Closer(Channel inbound, Channel upstream) {
    this.inbound = inbound;
    this.upstream = upstream;
  }

  /** The splice relay took the pair over; {@code abort} makes it let go. */
  void spliced(Runnable abort) {
    abortSplice = abort;
    if (reset) {
      abort.run();
    }
  }

  @Override
  public void run() {
    reset = true;
    Runnable abort = abortSplice;
    if (abort != null) {
      abort.run(); // the relay's listener then calls closeBoth
    } else if (inbound.isRegistered()) {
      inbound.eventLoop().execute(this::closeBoth);
    }
    // Neither: the hand-over is under way and calls spliced() or closeBoth() next.
  }

  /** Closes both channels; with a reset requested, the application's side with SO_LINGER 0. */
  void closeBoth() {
    if (reset && inbound.isOpen()) {
      try {
        inbound.config().setOption(ChannelOption.SO_LINGER, 0);
      } catch (RuntimeException ignored) {
        // closing is what matters
      }
    }
    inbound.close();
    upstream.close();
  }
}
