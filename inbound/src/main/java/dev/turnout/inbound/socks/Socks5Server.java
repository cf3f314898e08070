package dev.turnout.inbound.socks;

import dev.turnout.inbound.ClientHandler;
import dev.turnout.inbound.Dispatch;
import dev.turnout.inbound.Handover;
import dev.turnout.inbound.HandshakeDeadline;
import dev.turnout.inbound.InboundStats;
import dev.turnout.netbase.HostNames;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.outbound.Destination;
import dev.turnout.relay.Inbound;
import dev.turnout.relay.Origin;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.socksx.v5.DefaultSocks5InitialResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5PasswordAuthResponse;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequest;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequest;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequest;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthStatus;
import io.netty.handler.codec.socksx.v5.Socks5ServerEncoder;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The server side of a SOCKS5 handshake (RFC 1928, RFC 1929) over Netty's codec: method selection
 * (username/password when the client must authenticate, else no authentication), credentials, then
 * the request. CONNECT goes to the {@link Dispatch} with a {@link Socks5Reply}; UDP ASSOCIATE to
 * the listener's {@link UdpAssociations}; BIND is refused (0x07). Malformed messages and failed
 * credentials are counted and close the connection. Parses and replies only: the dispatch owns
 * routing and dialing. Runs on the client's event loop, with auto-read off.
 */
final class Socks5Server extends ClientHandler {
  static final String ENCODER = "socks5-encoder";
  static final String DECODER = "socks5-decoder";

  private final Dispatch dispatch;
  private final UdpAssociations udp; // null: UDP ASSOCIATE refused
  private boolean anyCredentials; // PASSWORD chosen although nobody must authenticate
  private String user;

  Socks5Server(Dispatch dispatch, UdpAssociations udp) {
    this.dispatch = dispatch;
    this.udp = udp;
  }

  /** Sets up a pipeline for a SOCKS5 client whose first bytes are still to be decoded. */
  static void install(ChannelPipeline pipeline, Dispatch dispatch, UdpAssociations udp) {
    pipeline.addLast(ENCODER, Socks5ServerEncoder.DEFAULT);
    pipeline.addLast(DECODER, new Socks5InitialRequestDecoder());
    pipeline.addLast(new Socks5Server(dispatch, udp));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof DecoderResultProvider decoded && decoded.decoderResult().isFailure()) {
        malformed(ctx, decoded.decoderResult().cause());
      } else if (msg instanceof Socks5InitialRequest greeting) {
        greeting(ctx, greeting);
      } else if (msg instanceof Socks5PasswordAuthRequest credentials) {
        credentials(ctx, credentials);
      } else if (msg instanceof Socks5CommandRequest request) {
        request(ctx, request);
      }
      // Anything else is a client's bytes after a failure: dropped with the connection.
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void greeting(ChannelHandlerContext ctx, Socks5InitialRequest greeting) {
    boolean required = dispatch.listener().authentication().requiredFor(clientAddress(ctx));
    boolean offersPassword = greeting.authMethods().contains(Socks5AuthMethod.PASSWORD);
    Socks5AuthMethod chosen;
    if (required) {
      chosen = offersPassword ? Socks5AuthMethod.PASSWORD : Socks5AuthMethod.UNACCEPTED;
    } else if (greeting.authMethods().contains(Socks5AuthMethod.NO_AUTH)) {
      chosen = Socks5AuthMethod.NO_AUTH;
    } else {
      chosen = offersPassword ? Socks5AuthMethod.PASSWORD : Socks5AuthMethod.UNACCEPTED;
      anyCredentials = true;
    }
    if (chosen == Socks5AuthMethod.UNACCEPTED) {
      dispatch
          .stats()
          .bad(
              InboundStats.Event.AUTH_FAILED,
              "{}: SOCKS5 client {} offers no acceptable method {}",
              dispatch.listener().name(),
              ctx.channel().remoteAddress(),
              greeting.authMethods());
      ctx.writeAndFlush(new DefaultSocks5InitialResponse(chosen))
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    ctx.pipeline()
        .replace(
            DECODER,
            DECODER,
            chosen == Socks5AuthMethod.PASSWORD
                ? new Socks5PasswordAuthRequestDecoder()
                : new Socks5CommandRequestDecoder());
    ctx.writeAndFlush(new DefaultSocks5InitialResponse(chosen));
    ctx.read();
  }

  private void credentials(ChannelHandlerContext ctx, Socks5PasswordAuthRequest credentials) {
    boolean verified =
        dispatch.listener().authentication().verify(credentials.username(), credentials.password());
    if (!verified && !anyCredentials) {
      dispatch
          .stats()
          .bad(
              InboundStats.Event.AUTH_FAILED,
              "{}: SOCKS5 client {} gave wrong credentials for user \"{}\"",
              dispatch.listener().name(),
              ctx.channel().remoteAddress(),
              credentials.username());
      ctx.writeAndFlush(new DefaultSocks5PasswordAuthResponse(Socks5PasswordAuthStatus.FAILURE))
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    user = verified ? credentials.username() : null;
    ctx.pipeline().replace(DECODER, DECODER, new Socks5CommandRequestDecoder());
    ctx.writeAndFlush(new DefaultSocks5PasswordAuthResponse(Socks5PasswordAuthStatus.SUCCESS));
    ctx.read();
  }

  private void request(ChannelHandlerContext ctx, Socks5CommandRequest request) {
    Inbound kind =
        new Inbound(
            "Socks5", dispatch.listener().name(), dispatch.listener().bind().getPort(), user);
    if (request.type() == Socks5CommandType.UDP_ASSOCIATE && udp != null) {
      HandshakeDeadline.met(ctx.channel());
      leavePipeline(ctx);
      udp.associate(
          ctx.channel(),
          (InetSocketAddress) ctx.channel().remoteAddress(),
          request.dstPort(),
          kind);
      return;
    }
    if (request.type() != Socks5CommandType.CONNECT) {
      dispatch
          .stats()
          .bad(
              InboundStats.Event.UNSUPPORTED,
              "{}: SOCKS5 client {} asked for {}, which this listener does not serve",
              dispatch.listener().name(),
              ctx.channel().remoteAddress(),
              request.type());
      refuse(ctx, Socks5CommandStatus.COMMAND_UNSUPPORTED);
      return;
    }
    Destination target = destination(request);
    if (target == null) {
      malformed(ctx, new IllegalArgumentException("bad destination " + request.dstAddr()));
      return;
    }
    InetSocketAddress client = (InetSocketAddress) ctx.channel().remoteAddress();
    Origin origin = dispatch.origin(false, client, target, kind);
    if (origin == null) {
      refuse(ctx, Socks5CommandStatus.HOST_UNREACHABLE);
      return;
    }
    HandshakeDeadline.met(ctx.channel());
    Handover.toRelay(
        ctx.pipeline(),
        () -> dispatch.relay(ctx.channel(), origin, new Socks5Reply()),
        this,
        DECODER);
  }

  private void leavePipeline(ChannelHandlerContext ctx) {
    ctx.pipeline().remove(DECODER);
    ctx.pipeline().remove(this);
  }

  /** The request's destination, or null when it is not one (port 0, a bad literal). */
  static Destination destination(Socks5CommandRequest request) {
    if (request.dstPort() < 1 || request.dstPort() > 65535) {
      return null;
    }
    if (request.dstAddrType() == Socks5AddressType.DOMAIN) {
      String host = request.dstAddr();
      InetAddress literal = IpLiterals.parseHostOrNull(host);
      if (literal != null) {
        return new Destination(null, literal, request.dstPort());
      }
      return HostNames.valid(host) ? new Destination(host, null, request.dstPort()) : null;
    }
    InetAddress address = IpLiterals.parseOrNull(request.dstAddr());
    return address == null ? null : new Destination(null, address, request.dstPort());
  }

  private void refuse(ChannelHandlerContext ctx, Socks5CommandStatus status) {
    ctx.writeAndFlush(Socks5Reply.reply(status)).addListener(ChannelFutureListener.CLOSE);
  }

  private void malformed(ChannelHandlerContext ctx, Throwable cause) {
    dispatch
        .stats()
        .bad(
            InboundStats.Event.MALFORMED,
            "{}: malformed SOCKS5 from {}: {}",
            dispatch.listener().name(),
            ctx.channel().remoteAddress(),
            cause == null ? "?" : cause.getMessage());
    ctx.close();
  }

  private static InetAddress clientAddress(ChannelHandlerContext ctx) {
    return ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
  }
}
