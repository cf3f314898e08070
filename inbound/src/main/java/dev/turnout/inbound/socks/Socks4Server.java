package dev.turnout.inbound.socks;

import dev.turnout.inbound.ClientHandler;
import dev.turnout.inbound.Dispatch;
import dev.turnout.inbound.Handover;
import dev.turnout.inbound.HandshakeDeadline;
import dev.turnout.inbound.InboundStats;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.outbound.Destination;
import dev.turnout.relay.Inbound;
import dev.turnout.relay.Origin;
import dev.turnout.relay.tcp.TcpRelay;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.socksx.v4.DefaultSocks4CommandResponse;
import io.netty.handler.codec.socksx.v4.Socks4CommandRequest;
import io.netty.handler.codec.socksx.v4.Socks4CommandStatus;
import io.netty.handler.codec.socksx.v4.Socks4CommandType;
import io.netty.handler.codec.socksx.v4.Socks4ServerDecoder;
import io.netty.handler.codec.socksx.v4.Socks4ServerEncoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The server side of SOCKS4 and SOCKS4a CONNECT, over Netty's codec: one request (a 4a request
 * carries a name), one reply (0x5A granted, 0x5B refused). SOCKS4 has no passwords, so a client
 * that must authenticate is refused and counted. BIND is refused. Runs on the client's event loop,
 * with auto-read off.
 */
final class Socks4Server extends ClientHandler {
  static final String ENCODER = "socks4-encoder";
  static final String DECODER = "socks4-decoder";

  private final Dispatch dispatch;

  Socks4Server(Dispatch dispatch) {
    this.dispatch = dispatch;
  }

  static void install(ChannelPipeline pipeline, Dispatch dispatch) {
    pipeline.addLast(ENCODER, Socks4ServerEncoder.INSTANCE);
    pipeline.addLast(DECODER, new Socks4ServerDecoder());
    pipeline.addLast(new Socks4Server(dispatch));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof Socks4CommandRequest request) {
        request(ctx, request);
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void request(ChannelHandlerContext ctx, Socks4CommandRequest request) {
    InetSocketAddress client = (InetSocketAddress) ctx.channel().remoteAddress();
    String listener = dispatch.listener().name();
    if (request.decoderResult().isFailure()) {
      dispatch
          .stats()
          .bad(
              InboundStats.Event.MALFORMED,
              "{}: malformed SOCKS4 from {}: {}",
              listener,
              client,
              request.decoderResult().cause().getMessage());
      ctx.close();
      return;
    }
    if (dispatch.listener().authentication().requiredFor(client.getAddress())) {
      dispatch
          .stats()
          .bad(
              InboundStats.Event.AUTH_FAILED,
              "{}: SOCKS4 client {} refused: this listener needs a password, which SOCKS4 lacks",
              listener,
              client);
      refuse(ctx);
      return;
    }
    Destination target = destination(request);
    if (request.type() != Socks4CommandType.CONNECT || target == null) {
      dispatch
          .stats()
          .bad(
              InboundStats.Event.UNSUPPORTED,
              "{}: SOCKS4 client {} asked for {} {}:{}, which this listener does not serve",
              listener,
              client,
              request.type(),
              request.dstAddr(),
              request.dstPort());
      refuse(ctx);
      return;
    }
    Inbound kind = new Inbound("Socks4", listener, dispatch.listener().bind().getPort(), null);
    Origin origin = dispatch.origin(false, client, target, kind);
    if (origin == null) {
      refuse(ctx);
      return;
    }
    HandshakeDeadline.met(ctx.channel());
    Handover.toRelay(
        ctx.pipeline(), () -> dispatch.relay(ctx.channel(), origin, new Reply()), this, DECODER);
  }

  /** The request's destination: a SOCKS4a name, else the IPv4 address; null for port 0. */
  static Destination destination(Socks4CommandRequest request) {
    if (request.dstPort() < 1 || request.dstPort() > 65535 || request.dstAddr() == null) {
      return null;
    }
    InetAddress literal = IpLiterals.parseOrNull(request.dstAddr());
    if (literal != null) {
      return new Destination(null, literal, request.dstPort());
    }
    return request.dstAddr().isEmpty()
        ? null
        : new Destination(request.dstAddr(), null, request.dstPort());
  }

  private static void refuse(ChannelHandlerContext ctx) {
    ctx.writeAndFlush(new DefaultSocks4CommandResponse(Socks4CommandStatus.REJECTED_OR_FAILED))
        .addListener(ChannelFutureListener.CLOSE);
  }

  /** 0x5A then bytes, or 0x5B and close. */
  static final class Reply implements TcpRelay.Handshake {
    @Override
    public Future<?> connected(Channel client, Channel upstream) {
      return Handover.replyThenLeave(
          client, new DefaultSocks4CommandResponse(Socks4CommandStatus.SUCCESS), ENCODER);
    }

    @Override
    public void failed(Channel client, Throwable cause) {
      if (client.isActive()) {
        client
            .writeAndFlush(new DefaultSocks4CommandResponse(Socks4CommandStatus.REJECTED_OR_FAILED))
            .addListener(ChannelFutureListener.CLOSE);
      }
    }
  }
}
