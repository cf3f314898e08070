package dev.turnout.inbound.shadowsocks;

import dev.turnout.inbound.Dispatch;
import dev.turnout.inbound.Handover;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.socks.SocksAddress;
import dev.turnout.relay.Inbound;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * A Shadowsocks client's request, behind the listener's {@link
 * dev.turnout.outbound.shadowsocks.SsServerCodec}: the decrypted stream starts with the target
 * address (SOCKS5 form), and what follows it is the client's first bytes. Once the address is read
 * the connection goes to the relay, the codec staying in place (so it is never spliced); the bytes
 * behind the address flow on to the relay when this handler leaves. An address of an unknown type
 * or a malformed one closes the connection, counted.
 */
public final class ShadowsocksHandler extends ByteToMessageDecoder {
  /** The inbound type dashboards show, as mihomo's. */
  public static final String TYPE = "Shadowsocks";

  private final Dispatch dispatch;

  public ShadowsocksHandler(Dispatch dispatch) {
    this.dispatch = dispatch;
  }

  /** The codec and this handler, at the tail of {@code pipeline}. */
  public static void install(ChannelPipeline pipeline, Dispatch dispatch) {
    ListenerSpec spec = dispatch.listener();
    spec.shadowsocks().install(pipeline, ch -> wrongKey(dispatch, ch));
    pipeline.addLast(new ShadowsocksHandler(dispatch));
  }

  private static void wrongKey(Dispatch dispatch, Channel ch) {
    dispatch
        .stats()
        .bad(
            InboundStats.Event.AUTH_FAILED,
            "{}: Shadowsocks client {} failed authentication (another password or cipher?) or"
                + " replayed an earlier connection; closed",
            dispatch.listener().name(),
            ch.remoteAddress());
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int length = SocksAddress.encodedLength(in);
    if (length == 0 || length > in.readableBytes()) {
      return; // the rest of the address is on its way (the handshake deadline bounds the wait)
    }
    Destination target = length < 0 ? null : SocksAddress.read(in);
    if (target == null) {
      in.skipBytes(in.readableBytes());
      dispatch
          .stats()
          .bad(
              InboundStats.Event.MALFORMED,
              "{}: Shadowsocks client {} sent a malformed address; closing",
              dispatch.listener().name(),
              ctx.channel().remoteAddress());
      ctx.close();
      return;
    }
    ListenerSpec spec = dispatch.listener();
    Inbound kind = new Inbound(TYPE, spec.name(), spec.bind().getPort(), null);
    Handover.toRelayAtOnce(ctx, dispatch, target, kind, this);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
