package dev.turnout.relay.udp;

import dev.turnout.natrewrite.NatFlow;
import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Destination;
import dev.turnout.relay.Connection;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Router;
import dev.turnout.relay.Sniffer;
import dev.turnout.relay.sniff.QuicSniff;
import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;

/**
 * One UDP relay session: the flow it serves, and its outbound session once open. Datagrams that
 * arrive while the outbound opens are queued (a few; more are dropped and counted). Confined to the
 * relay's event loop.
 */
final class UdpSessionState {
  private static final int MAX_PENDING = 32;

  final NatFlow flow;
  Origin origin; // with the sniffed name, once found
  private boolean dialName = true; // false: a sniffed name without override-destination
  QuicSniff sniffing; // while its first datagrams are looked at
  ScheduledFuture<?> sniffTimeout;
  private Destination destination; // once routed
  long lastActive;
  long natTouched; // when the NAT entry was last told of this session's activity
  boolean closed;
  private boolean blackhole;
  private DatagramSession outbound;
  private Connection connection; // listed while the outbound session is open
  private ArrayDeque<ByteBuf> pending = new ArrayDeque<>(4);

  UdpSessionState(NatFlow flow, Origin origin, long now) {
    this.flow = flow;
    this.origin = origin;
    this.lastActive = now;
    this.natTouched = now;
  }

  /** Sends, queues or drops one payload; takes ownership, also when the outbound throws. */
  void send(ByteBuf payload, UdpRelayStats stats) {
    if (outbound != null) {
      connection.transferred(true, payload.readableBytes());
      try {
        outbound.send(destination, payload);
      } catch (RuntimeException e) { // the outbound broke its contract: the payload is not lost
        if (payload.refCnt() > 0) {
          payload.release();
        }
        throw e;
      }
    } else if (closed || blackhole || pending.size() >= MAX_PENDING) {
      stats.dropped.increment();
      payload.release();
    } else {
      pending.add(payload);
    }
  }

  /** Ends sniffing; with {@code found}, the flow goes by that name from now on. */
  void sniffed(Sniffer.Found found) {
    sniffing = null;
    sniffTimeout.cancel(false);
    if (found != null) {
      origin = Sniffer.named(origin, found.name());
      dialName = found.override();
    }
  }

  void opened(DatagramSession session, Connection listed, Router.Route route) {
    // A sniffed name is sent to only with override-destination; else the address the app used.
    destination =
        new Destination(
            dialName ? origin.host() : null,
            dialName && origin.sniffed() ? null : origin.realAddress(),
            origin.port(),
            route.localPermit());
    outbound = session;
    connection = listed;
    ByteBuf next;
    while ((next = pending.poll()) != null) {
      send(next, null);
    }
  }

  /** Counts a reply of {@code bytes} on its way to the application. */
  void received(int bytes) {
    if (connection != null) {
      connection.transferred(false, bytes);
    }
  }

  /** No outbound will come (rejected, or no UDP for the policy): drop everything. */
  void blackhole(UdpRelayStats stats) {
    blackhole = true;
    releasePending(stats);
  }

  /** Closes the outbound session; true the first time only. */
  boolean close() {
    if (closed) {
      return false;
    }
    closed = true;
    if (sniffTimeout != null) {
      sniffTimeout.cancel(false);
    }
    if (outbound != null) {
      outbound.close();
      connection.ended();
    }
    releasePending(null);
    return true;
  }

  private void releasePending(UdpRelayStats stats) {
    ByteBuf next;
    while ((next = pending.poll()) != null) {
      if (stats != null) {
        stats.dropped.increment();
      }
      next.release();
    }
  }
}
