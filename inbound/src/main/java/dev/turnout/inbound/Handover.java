package dev.turnout.inbound;

import dev.turnout.outbound.Destination;
import dev.turnout.relay.Inbound;
import dev.turnout.relay.Origin;
import dev.turnout.relay.tcp.TcpRelay;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;

/**
 * How a proxy handshake hands its client to the relay without losing a byte: the relay joins the
 * pipeline first, then the handshake's handlers leave, its decoder last, so that whatever the
 * client sent behind its request (and the decoder still holds) flows on to the relay. Once the
 * outbound is connected the success reply is written and the codec that wrote it leaves, so the
 * client's side carries no codec when the relay starts moving (or splicing) its bytes. Call on the
 * client's event loop.
 */
public final class Handover {
  private Handover() {}

  /**
   * Runs {@code relay} (which adds the relay's handler at the pipeline's tail), then removes {@code
   * handshake} and the handlers named {@code leaving}, in that order, as far as they are still
   * there (a relay that failed at once may have closed the channel).
   */
  public static void toRelay(
      ChannelPipeline pipeline, Runnable relay, ChannelHandler handshake, String... leaving) {
    relay.run();
    if (pipeline.context(handshake) != null) {
      pipeline.remove(handshake);
    }
    for (String name : leaving) {
      if (pipeline.get(name) != null) {
        pipeline.remove(name);
      }
    }
  }

  /**
   * Hands a client that has no handshake (a tunnel's, a redirected one) to the relay towards {@code
   * target}: its first bytes wait there until the target is connected. A target that is a fake IP
   * no name maps to any more closes the client ({@link Dispatch#origin} counted it). Call from
   * {@code handler}'s {@code channelActive}.
   */
  public static void toRelayAtOnce(
      ChannelHandlerContext ctx,
      Dispatch dispatch,
      Destination target,
      Inbound kind,
      ChannelHandler handler) {
    InetSocketAddress client = (InetSocketAddress) ctx.channel().remoteAddress();
    Origin origin = dispatch.origin(false, client, target, kind);
    if (origin == null) {
      ctx.close();
      return;
    }
    HandshakeDeadline.met(ctx.channel());
    toRelay(
        ctx.pipeline(),
        () -> dispatch.relay(ctx.channel(), origin, TcpRelay.Handshake.NONE),
        handler);
  }

  /**
   * Writes {@code reply} and then removes the handlers named {@code codecs} that are still there;
   * the future succeeds once both are done and fails if the write did.
   */
  public static Future<?> replyThenLeave(Channel client, Object reply, String... codecs) {
    ChannelPromise done = client.newPromise();
    client
        .writeAndFlush(reply)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                done.setFailure(f.cause());
                return;
              }
              for (String codec : codecs) {
                if (client.pipeline().get(codec) != null) {
                  client.pipeline().remove(codec);
                }
              }
              done.setSuccess();
            });
    return done;
  }

  /**
   * Closes a client whose request was refused (another credential, a malformed request), after
   * dropping what it sent, and counts and logs it (rate-limited) as {@code event}: "{@code
   * protocol} client ADDRESS sent {@code why}; closed".
   */
  public static void refuse(
      ChannelHandlerContext ctx,
      ByteBuf in,
      Dispatch dispatch,
      InboundStats.Event event,
      String protocol,
      String why) {
    in.skipBytes(in.readableBytes());
    dispatch
        .stats()
        .bad(
            event,
            "{}: {} client {} sent {}; closed",
            dispatch.listener().name(),
            protocol,
            ctx.channel().remoteAddress(),
            why);
    ctx.close();
  }
}
