package dev.turnout.relay.tcp;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.relay.Connection;
import dev.turnout.relay.ConnectionLog;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Router;
import dev.turnout.relay.Sniffer;
import dev.turnout.relay.sniff.Sniff;
import dev.turnout.relay.splice.SpliceRelay;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Relays one connection for a {@link TcpRelay}: routes its origin, has the route's outbound
 * connect, lets the inbound side reply to its client, then pipes bytes both ways (or hands the pair
 * to the splice relay) and leaves the pipeline. Runs on the inbound channel's event loop; only a
 * blocking route decision moves to the relay's blocking executor.
 */
final class RelayHandler extends ChannelInboundHandlerAdapter {
  private static final int SILENT_HOLD_SECONDS = 30;
  private static final int SNIFF_READS = 16;

  private final TcpRelay relay;
  private final TcpRelay.Handshake handshake;
  private Origin origin; // with the sniffed name, once found

  private Sniffer.Found sniffedName; // null unless sniffing found one

  private Sniffer sniffing; // while the first bytes are awaited
  private ScheduledFuture<?> sniffTimeout;
  private ByteBuf sniffBytes; // a copy of what was read so far, while sniffing
  private int sniffReads;

  /**
   * Bytes and end-of-input that arrive before the outbound is connected. Epoll may read on a peer's
   * half-close even with auto-read off, so nothing may be dropped while dialing.
   */
  private final List<Object> early = new ArrayList<>(1);

  private boolean earlyInputShutdown;
  private ChannelHandlerContext context;

  RelayHandler(TcpRelay relay, Origin origin, TcpRelay.Handshake handshake) {
    this.relay = relay;
    this.origin = origin;
    this.handshake = handshake;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    context = ctx;
    Sniffer sniffer = relay.router.sniffer();
    // Only a captured client sends first: a proxy client waits for its handshake's reply.
    if (handshake == TcpRelay.Handshake.NONE && sniffer.wants(origin)) {
      sniffing = sniffer;
      sniffTimeout =
          ctx.executor()
              .schedule(() -> sniffed(null), Sniffer.TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
      ctx.read();
      return;
    }
    route();
  }

  /**
   * Ends sniffing with what was {@code found} (null: nothing usable, or the time ran out) and
   * routes.
   */
  private void sniffed(Sniffer.Found found) {
    if (sniffing == null) {
      return; // ended already
    }
    stopSniffing();
    relay.stats.sniffed.increment();
    if (found != null) {
      origin = Sniffer.named(origin, found.name());
      sniffedName = found;
      relay.stats.sniffedNames.increment();
    }
    if (context.channel().isActive()) {
      route();
    }
  }

  /**
   * Adds {@code bytes} to what was read so far, looks at it, and reads on while it could still name
   * the server: at most {@link Sniff#MAX_BYTES} in {@value #SNIFF_READS} reads (a ClientHello takes
   * one to three), so a client trickling bytes cannot make the loop parse for long.
   */
  private void sniffMore(ByteBuf bytes) {
    if (sniffBytes == null) {
      sniffBytes = context.alloc().heapBuffer(bytes.readableBytes(), Sniff.MAX_BYTES);
    }
    int n = Math.min(bytes.readableBytes(), sniffBytes.maxWritableBytes());
    sniffBytes.writeBytes(bytes, bytes.readerIndex(), n);
    sniffReads++;
    Sniffer.Found found = sniffing.look(sniffBytes, origin.port());
    if (found != Sniffer.MORE) {
      sniffed(found);
    } else if (sniffBytes.maxWritableBytes() == 0
        || sniffReads >= SNIFF_READS
        || earlyInputShutdown) {
      sniffed(null);
    } else {
      context.read();
    }
  }

  private void stopSniffing() {
    sniffing = null;
    sniffTimeout.cancel(false);
    if (sniffBytes != null) {
      sniffBytes.release();
      sniffBytes = null;
    }
  }

  private void route() {
    Channel inbound = context.channel();
    relay.router.routeOn(
        origin,
        relay.blockingExecutor,
        inbound.eventLoop(),
        (route, error) -> {
          if (error != null) {
            ConnectionLog.problem("{} routing failed: {}", origin.target(), error.toString());
            fail(inbound, error);
          } else {
            dial(inbound, route);
          }
        });
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    early.add(msg);
    if (sniffing != null && msg instanceof ByteBuf bytes) {
      sniffMore(bytes);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof ChannelInputShutdownEvent) {
      earlyInputShutdown = true;
      if (sniffing != null) {
        sniffed(null); // the client sent all it will
      }
    } else {
      ctx.fireUserEventTriggered(event);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (sniffing != null) {
      stopSniffing();
    }
    dropEarly();
    ctx.fireChannelInactive();
  }

  private void dropEarly() {
    early.forEach(ReferenceCountUtil::release);
    early.clear();
  }

  private void dial(Channel inbound, Router.Route route) {
    ConnectionLog.routed(origin, route, false);
    if (route.outbound() == null) {
      ConnectionLog.CONNECTIONS.error("{}: no outbound named {}", origin.target(), route.policy());
      fail(inbound, new IllegalStateException("no outbound named " + route.policy()));
      return;
    }
    // A sniffed name is dialed only with override-destination; else the address the client dialed.
    Destination destination =
        sniffedName != null
            ? sniffedName.override()
                ? new Destination(origin.host(), null, origin.port(), route.localPermit())
                : new Destination(null, origin.realAddress(), origin.port(), route.localPermit())
            : new Destination(
                origin.host(), origin.realAddress(), origin.port(), route.localPermit());
    route
        .outbound()
        .connect(destination, inbound.eventLoop())
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                if (f.cause() instanceof RejectOutbound.Rejected rejected && rejected.silent()) {
                  holdSilently(inbound);
                  return;
                }
                if (!(f.cause() instanceof RejectOutbound.Rejected)) {
                  relay.stats.dialFailed.increment();
                  ConnectionLog.problem(
                      "{} via {} failed: {}",
                      origin.target(),
                      route.policy(),
                      f.cause().toString());
                }
                fail(inbound, f.cause());
                return;
              }
              Channel upstream = (Channel) f.getNow();
              if (!inbound.isActive()) {
                upstream.close();
                return;
              }
              handshake
                  .connected(inbound, upstream)
                  .addListener(
                      replied -> {
                        if (replied.isSuccess() && inbound.isActive()) {
                          relayBytes(inbound, upstream, route);
                        } else {
                          dropEarly();
                          inbound.close();
                          upstream.close();
                        }
                      });
            });
  }

  /** Lists the connection, then moves its bytes: spliced when both sides are plain sockets. */
  private void relayBytes(Channel inbound, Channel upstream, Router.Route route) {
    Closer closer = new Closer(inbound, upstream);
    Connection connection = relay.connections.open(origin, origin.inbound(), route, closer);
    long started = System.nanoTime();
    inbound
        .closeFuture()
        .addListener(
            c -> {
              connection.ended();
              ConnectionLog.CONNECTIONS.debug(
                  "{} closed: {} bytes up, {} down, {} ms",
                  origin.target(),
                  connection.upload(),
                  connection.download(),
                  (System.nanoTime() - started) / 1_000_000);
            });
    SpliceRelay.Sockets sockets =
        relay.splice != null && SpliceHandOff.eligible(inbound, upstream)
            ? SpliceHandOff.duplicate(relay.splice, inbound, upstream)
            : null;
    if (sockets != null) {
      relay.stats.spliced.increment();
      SpliceHandOff.start(
          relay.splice,
          sockets,
          inbound,
          upstream,
          early,
          () -> earlyInputShutdown,
          connection,
          closer,
          () -> {
            early.clear();
            if (!context.isRemoved()) { // a closed channel's pipeline is already empty
              context.pipeline().remove(this);
            }
          });
      return;
    }
    IdleClose idle = new IdleClose(inbound, upstream, relay.settings.idleTimeout());
    upstream.pipeline().addLast(idle.handler(), new Pipe(inbound, connection, false));
    inbound.pipeline().addLast(idle.handler(), new Pipe(upstream, connection, true));
    handOver();
  }

  /**
   * REJECT-DROP after the connection was already accepted (the flow filter could not judge it, or a
   * proxy client): never answer, never read; close quietly after a while so the socket (and a NAT
   * session) are not held forever.
   */
  private void holdSilently(Channel inbound) {
    dropEarly();
    inbound.eventLoop().schedule(() -> inbound.close(), SILENT_HOLD_SECONDS, TimeUnit.SECONDS);
  }

  /** Replays what arrived while dialing into the pipe, then leaves the pipeline. */
  private void handOver() {
    for (Object msg : early) {
      context.fireChannelRead(msg);
    }
    early.clear();
    if (earlyInputShutdown) {
      context.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    }
    context.pipeline().remove(this);
  }

  private void fail(Channel inbound, Throwable cause) {
    dropEarly();
    handshake.failed(inbound, cause);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
