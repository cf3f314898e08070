package dev.turnout.launcher.udp;

import dev.turnout.outbound.Destination;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

/**
 * Carries the datagrams of one UDP session to its destination and back: DIRECT today, a SOCKS5 UDP
 * ASSOCIATE or Shadowsocks UDP relay later. One {@link Session} per app flow (endpoint-dependent
 * mapping: replies are always presented to the app as coming from the address it sent to).
 *
 * <p>Threading: {@link #open} is called on {@code loop}; the returned future, {@link Session#send}
 * and the {@link Replies} callback all run on that same loop, so a session needs no locking.
 */
public interface UdpOutbound {
  /** The policy name, e.g. {@code DIRECT}. */
  String name();

  /**
   * Opens a session towards {@code destination}. Datagrams from the far end are handed to {@code
   * replies} (ownership of the buffer passes to the callee). Fails, on {@code loop}, if the
   * destination cannot be resolved or the socket cannot be opened.
   */
  Future<Session> open(Destination destination, EventLoop loop, Replies replies);

  /** An open UDP session. */
  interface Session {
    /** Sends one datagram's payload; takes ownership of {@code payload}. */
    void send(ByteBuf payload);

    /** Closes the session's socket(s). Idempotent. */
    void close();
  }

  /** Receives the far end's datagrams of one session. */
  @FunctionalInterface
  interface Replies {
    /** One datagram's payload; the callee owns and releases it. */
    void reply(ByteBuf payload);
  }
}
