package dev.turnout.outbound;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.Future;

/**
 * One UDP association through an outbound: datagrams to any number of destinations, replies from
 * them. Bound to one event loop; {@link #send} may be called from any thread. Closing releases the
 * socket and, for proxies, the control connection; a proxy closing its side closes the session.
 */
public interface DatagramSession {
  /** Receives replies; runs on the session's event loop and must release {@code payload}. */
  @FunctionalInterface
  interface Receiver {
    void received(Destination source, ByteBuf payload);
  }

  /**
   * Sends one datagram; takes ownership of {@code payload}. Oversized or failed sends are dropped.
   */
  void send(Destination destination, ByteBuf payload);

  void close();

  /** Completes when the session is closed, by either side. */
  Future<?> closeFuture();
}
