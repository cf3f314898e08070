package dev.turnout.inbound.socks;

import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Destination;
import dev.turnout.relay.Connection;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Router;
import dev.turnout.relay.udp.Payloads;
import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;

/**
 * The datagrams of one association to one destination, carried by one outbound session: routed on
 * the first datagram, queued (a few) while the outbound opens, listed in the connections while
 * open. Confined to the UDP relay's event loop.
 */
final class UdpFlow {
  static final int MAX_PENDING = 32;

  /** The destination as the client wrote it: replies say they come from it. */
  final Destination requested;

  final Origin origin;
  private Destination destination; // what the outbound is asked to reach, once routed
  long lastActive;
  private boolean closed;
  private boolean blackhole;
  private DatagramSession session;
  private Connection connection;
  private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>(4);

  UdpFlow(Destination requested, Origin origin, long now) {
    this.requested = requested;
    this.origin = origin;
    this.lastActive = now;
  }

  /** Sends, queues or drops {@code payload} (taking it); false if it was dropped. */
  boolean send(ByteBuf payload) {
    if (session != null) {
      connection.transferred(true, payload.readableBytes());
      session.send(destination, payload);
      return true;
    }
    if (closed || blackhole || pending.size() >= MAX_PENDING) {
      payload.release();
      return false;
    }
    pending.add(Payloads.compact(payload, payload.alloc())); // read into a 64 KiB buffer
    return true;
  }

  boolean closed() {
    return closed;
  }

  /** The outbound session is open and listed: what waited goes out. */
  void opened(DatagramSession opened, Connection listed, Router.Route route) {
    destination =
        new Destination(origin.host(), origin.realAddress(), origin.port(), route.localPermit());
    session = opened;
    connection = listed;
    ByteBuf next;
    while ((next = pending.poll()) != null) {
      send(next);
    }
  }

  /** Counts a reply of {@code bytes} on its way to the client. */
  void received(int bytes) {
    if (connection != null) {
      connection.transferred(false, bytes);
    }
  }

  /**
   * No outbound will come (REJECT, no UDP for the policy): what waits and what comes is dropped.
   */
  int blackhole() {
    blackhole = true;
    return releasePending();
  }

  /** Ends the flow; true the first time only. */
  boolean close() {
    if (closed) {
      return false;
    }
    closed = true;
    if (session != null) {
      session.close();
      connection.ended();
    }
    releasePending();
    return true;
  }

  private int releasePending() {
    int dropped = pending.size();
    ByteBuf next;
    while ((next = pending.poll()) != null) {
      next.release();
    }
    return dropped;
  }
}
