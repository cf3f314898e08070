package dev.turnout.relay.tcp;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.relay.Connection;
import dev.turnout.relay.ConnectionLog;
import dev.turnout.relay.Connections;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Origins;
import dev.turnout.relay.RelaySettings;
import dev.turnout.relay.Router;
import dev.turnout.relay.splice.SpliceRelay;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Handles one accepted connection: recovers its origin from the NAT, asks the router for a policy,
 * has the outbound connect, then pipes bytes both ways. Runs on the accepted channel's event loop;
 * only a blocking route decision is moved to {@code blockingExecutor}.
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {
  private static final int SILENT_HOLD_SECONDS = 30;

  private final Origins origins;
  private final Router router;
  private final Map<String, Outbound> outbounds;
  private final Executor blockingExecutor;
  private final RelayStats stats;
  private final Connections connections;
  private final RelaySettings settings;
  private final SpliceRelay splice; // null: every connection is relayed through Netty

  /**
   * Bytes and end-of-input that arrive before the outbound is connected. Epoll may read on a peer's
   * half-close even with auto-read off, so nothing may be dropped while dialing.
   */
  private final List<Object> early = new ArrayList<>(1);

  private boolean earlyInputShutdown;
  private ChannelHandlerContext context;

  ConnectionHandler(
      Origins origins,
      Router router,
      Map<String, Outbound> outbounds,
      Executor blockingExecutor,
      RelayStats stats,
      Connections connections,
      RelaySettings settings,
      SpliceRelay splice) {
    this.origins = origins;
    this.router = router;
    this.outbounds = outbounds;
    this.blockingExecutor = blockingExecutor;
    this.stats = stats;
    this.connections = connections;
    this.settings = settings;
    this.splice = splice;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    context = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    early.add(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof ChannelInputShutdownEvent) {
      earlyInputShutdown = true;
    } else {
      ctx.fireUserEventTriggered(event);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    dropEarly();
    ctx.fireChannelInactive();
  }

  private void dropEarly() {
    early.forEach(ReferenceCountUtil::release);
    early.clear();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    Channel inbound = ctx.channel();
    InetSocketAddress peer = (InetSocketAddress) inbound.remoteAddress();
    Optional<Origin> claimed = origins.claim(peer);
    if (claimed.isEmpty()) {
      stats.notFromNat.increment();
      reset(inbound);
      return;
    }
    inbound.closeFuture().addListener(f -> origins.release(peer));
    Origin origin = claimed.get();
    stats.accepted.increment();
    router.routeOn(
        origin,
        blockingExecutor,
        inbound.eventLoop(),
        (route, error) -> {
          if (error != null) {
            ConnectionLog.CONNECTIONS.warn(
                "{} routing failed: {}", origin.target(), error.toString());
            reset(inbound);
          } else {
            dial(inbound, origin, route);
          }
        });
  }

  private void dial(Channel inbound, Origin origin, Router.Route route) {
    Outbound outbound = outbounds.get(route.policy());
    ConnectionLog.routed(origin, route, false);
    if (outbound == null) {
      ConnectionLog.CONNECTIONS.error("{}: no outbound named {}", origin.target(), route.policy());
      reset(inbound);
      return;
    }
    Destination destination = new Destination(origin.host(), origin.realAddress(), origin.port());
    outbound
        .connect(destination, inbound.eventLoop())
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                if (f.cause() instanceof RejectOutbound.Rejected rejected && rejected.silent()) {
                  holdSilently(inbound);
                  return;
                }
                if (!(f.cause() instanceof RejectOutbound.Rejected)) {
                  stats.dialFailed.increment();
                  ConnectionLog.CONNECTIONS.warn(
                      "{} via {} failed: {}",
                      origin.target(),
                      route.policy(),
                      f.cause().toString());
                }
                reset(inbound);
                return;
              }
              Channel upstream = (Channel) f.getNow();
              if (!inbound.isActive()) {
                upstream.close();
                return;
              }
              Closer closer = new Closer(inbound, upstream);
              Connection connection =
                  connections.open(origin, Connection.Inbound.TUN, route, closer);
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
              if (splice != null && SpliceHandOff.eligible(inbound, upstream)) {
                stats.spliced.increment();
                SpliceHandOff.start(
                    splice,
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
              IdleClose idle = new IdleClose(inbound, upstream, settings.idleTimeout());
              upstream.pipeline().addLast(idle.handler(), new Pipe(inbound, connection, false));
              inbound.pipeline().addLast(idle.handler(), new Pipe(upstream, connection, true));
              handOver();
            });
  }

  /**
   * REJECT-DROP after the kernel already accepted (the flow filter could not judge it): never
   * answer, never read; close quietly after a while so the socket and NAT session are not held
   * forever.
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

  /** Closes with SO_LINGER 0 so the application sees a reset, as from a refused connection. */
  private void reset(Channel channel) {
    dropEarly();
    if (channel.isOpen()) {
      channel.config().setOption(ChannelOption.SO_LINGER, 0);
      channel.close();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
