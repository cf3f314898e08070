package dev.turnout.inbound;

import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.UdpOutbound;
import dev.turnout.relay.Connection;
import dev.turnout.relay.ConnectionLog;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Router;
import dev.turnout.relay.udp.Payloads;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The datagrams from one listener client to one destination, carried by one outbound session:
 * routed on the first datagram ({@link #start}), queued (a few) while the outbound opens, listed in
 * the connections while open. SOCKS5 UDP associations and the TPROXY listener keep these, each with
 * its own way back to the client. Confined to the listener's UDP event loop.
 */
public final class UdpFlow {
  static final int MAX_PENDING = 32;

  /** The destination as the client wrote it: replies say they come from it. */
  public final Destination requested;

  public final Origin origin;
  private Destination destination; // what the outbound is asked to reach, once routed
  private long lastActive;
  private boolean closed;
  private boolean blackhole;
  private DatagramSession session;
  private Connection connection;
  private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>(4);

  public UdpFlow(Destination requested, Origin origin, long now) {
    this.requested = requested;
    this.origin = origin;
    this.lastActive = now;
  }

  /**
   * Routes the flow and opens its route's outbound on {@code loop}; each reply's payload goes to
   * {@code reply} (which takes it), and {@code ended} runs on {@code loop} when the flow ends
   * otherwise than by {@link #close} (its route failed, its session or listed connection closed).
   */
  public void start(Dispatch dispatch, EventLoop loop, Consumer<ByteBuf> reply, Runnable ended) {
    dispatch.route(
        origin,
        loop,
        (route, error) -> {
          if (error != null) {
            ended.run();
          } else {
            dial(dispatch, loop, route, reply, ended);
          }
        });
  }

  private void dial(
      Dispatch dispatch,
      EventLoop loop,
      Router.Route route,
      Consumer<ByteBuf> reply,
      Runnable ended) {
    if (closed) {
      return;
    }
    if (!(route.outbound() instanceof UdpOutbound outbound)) {
      if (!"REJECT".equals(route.policy()) && !"REJECT-DROP".equals(route.policy())) {
        ConnectionLog.problem(
            "udp {}: policy {} has no UDP support; dropping", origin.target(), route.policy());
      }
      dispatch.stats().count(InboundStats.Event.UDP_DROPPED, blackhole());
      return;
    }
    outbound
        .openUdp(loop, (source, payload) -> reply.accept(payload))
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                ConnectionLog.problem(
                    "udp {} via {} failed: {}",
                    origin.target(),
                    route.policy(),
                    f.cause().toString());
                ended.run();
                return;
              }
              DatagramSession opened = (DatagramSession) f.getNow();
              if (closed) {
                opened.close();
                return;
              }
              opened(opened, dispatch.open(origin, route, () -> loop.execute(ended)), route);
              opened.closeFuture().addListener(c -> loop.execute(ended));
            });
  }

  /** Sends, queues or drops {@code payload} (taking it); false if it was dropped. */
  public boolean send(ByteBuf payload, long now) {
    lastActive = now;
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

  public boolean closed() {
    return closed;
  }

  /** Whether nothing went either way since {@code idleNanos} before {@code now}. */
  public boolean idle(long now, long idleNanos) {
    return now - lastActive >= idleNanos;
  }

  /** The outbound session is open and listed: what waited goes out. */
  private void opened(DatagramSession opened, Connection listed, Router.Route route) {
    destination =
        new Destination(origin.host(), origin.realAddress(), origin.port(), route.localPermit());
    session = opened;
    connection = listed;
    ByteBuf next;
    while ((next = pending.poll()) != null) {
      send(next, lastActive);
    }
  }

  /** Counts a reply of {@code bytes} on its way to the client. */
  public void received(int bytes, long now) {
    lastActive = now;
    if (connection != null) {
      connection.transferred(false, bytes);
    }
  }

  /**
   * No outbound will come (REJECT, no UDP for the policy): what waits and what comes is dropped.
   */
  private int blackhole() {
    blackhole = true;
    return releasePending();
  }

  /** Ends the flow; true the first time only. */
  public boolean close() {
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
