package dev.turnout.inbound.vmess;

import dev.turnout.inbound.Dispatch;
import dev.turnout.inbound.Handover;
import dev.turnout.inbound.HandshakeDeadline;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.inbound.StreamUdp;
import dev.turnout.outbound.vmess.VmessServer;
import dev.turnout.relay.Inbound;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.util.ReferenceCountUtil;

/**
 * A VMess client's request, behind the listener's {@link VmessServer} codecs (in the listener's
 * TLS, or plain): the user its UUID names (IN-USER), the command and the destination. A TCP request
 * goes to the relay as any listener's does, the codecs staying in place (so it is never spliced); a
 * UDP request turns the rest of the body into datagrams to its one destination, one per chunk
 * ({@link VmessDatagramCodec}, {@link StreamUdp}). A Mux request is refused, counted; so is
 * anything the codecs refused.
 */
public final class VmessHandler extends ChannelInboundHandlerAdapter {
  /** The inbound type dashboards show, as mihomo's. */
  public static final String TYPE = "Vmess";

  private final Dispatch dispatch;

  private VmessHandler(Dispatch dispatch) {
    this.dispatch = dispatch;
  }

  /** The codecs of {@code server} and this handler, at the tail of {@code pipeline}. */
  public static void install(ChannelPipeline pipeline, Dispatch dispatch, VmessServer server) {
    server.install(
        pipeline, (ch, why) -> refused(dispatch, ch, InboundStats.Event.AUTH_FAILED, why));
    pipeline.addLast(new VmessHandler(dispatch));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof VmessServer.Request request)) {
      ReferenceCountUtil.release(msg); // no request yet: nothing may pass
      ctx.close();
      return;
    }
    ListenerSpec spec = dispatch.listener();
    Inbound kind = new Inbound(TYPE, spec.name(), spec.bind().getPort(), request.user());
    switch (request.command()) {
      case TCP -> Handover.toRelayAtOnce(ctx, dispatch, request.target(), kind, this);
      case UDP -> {
        HandshakeDeadline.met(ctx.channel());
        dispatch.stats().count(InboundStats.Event.UDP_ASSOCIATED, 1);
        ChannelPipeline p = ctx.pipeline();
        p.addAfter(ctx.name(), "vmess-udp-frames", new VmessDatagramCodec(request.target()));
        p.addAfter("vmess-udp-frames", "vmess-udp", new StreamUdp(dispatch, kind, "VMess"));
        p.remove(this); // the body's chunks after the request go on to the frames
        ctx.channel().writeAndFlush(Unpooled.EMPTY_BUFFER); // the response header, at once
      }
      case MUX -> {
        refused(
            dispatch,
            ctx.channel(),
            InboundStats.Event.UNSUPPORTED,
            "a Mux request (not supported)");
        ctx.close();
      }
    }
  }

  private static void refused(Dispatch dispatch, Channel ch, InboundStats.Event event, String why) {
    dispatch
        .stats()
        .bad(
            event,
            "{}: VMess client {} sent {}; closed",
            dispatch.listener().name(),
            ch.remoteAddress(),
            why);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
