package dev.turnout.inbound;

import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.AddressedDatagram;
import dev.turnout.outbound.Destination;
import dev.turnout.relay.Inbound;
import dev.turnout.relay.Origin;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * UDP over a client's stream, after a Trojan UDP ASSOCIATE or a VLESS UDP request: the stream
 * carries datagrams, which a codec in front of this handler frames (Trojan's {@code
 * TrojanDatagramCodec}, VLESS's length prefix), each to the destination it names. Each destination
 * is a flow of its own, routed by the rules and carried by its route's outbound; replies go back on
 * the stream, framed with where they came from, and are dropped (counted) while the client reads
 * too slowly for the stream to take them. At most {@value #MAX_FLOWS} flows per connection (the
 * least recently used makes room); a flow idle for {@value #IDLE_SECONDS} s ends; all end with the
 * connection. Confined to the connection's event loop.
 */
public final class StreamUdp extends ChannelInboundHandlerAdapter {
  static final int MAX_FLOWS = 256;
  static final int IDLE_SECONDS = 60;

  private final Dispatch dispatch;
  private final Inbound kind;
  private final String protocol;
  private final TimeSource clock = TimeSource.SYSTEM;
  private final FlowTable<Destination, UdpFlow> flows =
      new FlowTable<>(MAX_FLOWS, f -> f, UdpFlow::close);
  private ChannelHandlerContext ctx;
  private ScheduledFuture<?> sweeper;

  /**
   * @param protocol the client's protocol, for the log ({@code Trojan}, {@code VLESS})
   */
  public StreamUdp(Dispatch dispatch, Inbound kind, String protocol) {
    this.dispatch = dispatch;
    this.kind = kind;
    this.protocol = protocol;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    long idle = TimeUnit.SECONDS.toNanos(IDLE_SECONDS);
    sweeper =
        ctx.executor()
            .scheduleAtFixedRate(() -> flows.sweep(clock.nanoTime(), idle), 1, 1, TimeUnit.SECONDS);
    ctx.channel().config().setAutoRead(true); // datagrams come when they come; flows bound them
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    AddressedDatagram datagram = (AddressedDatagram) msg;
    Destination target = datagram.peer();
    long now = clock.nanoTime();
    UdpFlow flow = flows.get(target);
    if (flow == null) {
      flow = open(target, now);
      if (flow == null) {
        datagram.release();
        return;
      }
    }
    if (!flow.send(datagram.content(), now)) {
      dispatch.stats().count(InboundStats.Event.UDP_DROPPED, 1);
    }
  }

  private UdpFlow open(Destination target, long now) {
    InetSocketAddress client = (InetSocketAddress) ctx.channel().remoteAddress();
    Origin origin = dispatch.origin(true, client, target, kind);
    if (origin == null) {
      return null;
    }
    if (flows.makeRoom()) {
      dispatch
          .stats()
          .bad(
              InboundStats.Event.UDP_DROPPED,
              "{}: a {} client holds {} UDP flows; the least recently used makes room",
              dispatch.listener().name(),
              protocol,
              MAX_FLOWS);
    }
    UdpFlow flow = new UdpFlow(target, origin, now);
    flows.put(target, flow);
    flow.start(
        dispatch,
        ctx.channel().eventLoop(),
        p -> reply(flow, p),
        () -> flows.remove(flow.requested, flow));
    return flow;
  }

  /** A reply from the flow's destination: back on the stream, framed with where it came from. */
  private void reply(UdpFlow flow, ByteBuf payload) {
    if (flow.closed() || !ctx.channel().isActive()) {
      payload.release();
      return;
    }
    if (!ctx.channel().isWritable()) { // a client that does not read: datagrams may be lost
      payload.release();
      dispatch.stats().count(InboundStats.Event.UDP_DROPPED, 1);
      return;
    }
    flow.received(payload.readableBytes(), clock.nanoTime());
    ctx.writeAndFlush(new AddressedDatagram(flow.requested, payload), ctx.voidPromise());
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    sweeper.cancel(false);
    flows.endAll();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
