package dev.turnout.outbound.socks;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.HeldInbound;
import dev.turnout.outbound.ProxyHandshake;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.socksx.v5.DefaultSocks5CommandRequest;
import io.netty.handler.codec.socksx.v5.DefaultSocks5InitialRequest;
import io.netty.handler.codec.socksx.v5.DefaultSocks5PasswordAuthRequest;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5ClientEncoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandResponse;
import io.netty.handler.codec.socksx.v5.Socks5CommandResponseDecoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.handler.codec.socksx.v5.Socks5InitialResponse;
import io.netty.handler.codec.socksx.v5.Socks5InitialResponseDecoder;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthResponse;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthResponseDecoder;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthStatus;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * The client side of a SOCKS5 handshake (RFC 1928, RFC 1929) on an already connected channel, using
 * Netty's codec-socks messages: greeting, optional username/password, then CONNECT or UDP
 * ASSOCIATE. Completes {@code promise} with the server's command reply and removes the codecs and
 * itself; bytes after the reply continue down the pipeline.
 */
final class Socks5Handshake extends ProxyHandshake {
  private static final String DECODER = "socks5-decoder";
  private static final String ENCODER = "socks5-encoder";

  private final String username;
  private final String password;
  private final DefaultSocks5CommandRequest request;
  private final Promise<Socks5CommandResponse> promise;

  Socks5Handshake(
      String username,
      String password,
      DefaultSocks5CommandRequest request,
      Promise<Socks5CommandResponse> promise) {
    super(promise, "SOCKS5 server closed the connection during the handshake");
    this.username = username;
    this.password = password;
    this.request = request;
    this.promise = promise;
  }

  /**
   * Adds the codecs and this handler, in front of whatever the pipeline already has at its tail.
   */
  void install(io.netty.channel.Channel ch) {
    // Behind any transport or outer hop's codec already in the pipeline, never in front of it.
    HeldInbound.addBefore(ch, ENCODER, Socks5ClientEncoder.DEFAULT);
    HeldInbound.addBefore(ch, DECODER, new Socks5InitialResponseDecoder());
    HeldInbound.addBefore(ch, this);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    Socks5AuthMethod[] methods =
        username != null
            ? new Socks5AuthMethod[] {Socks5AuthMethod.NO_AUTH, Socks5AuthMethod.PASSWORD}
            : new Socks5AuthMethod[] {Socks5AuthMethod.NO_AUTH};
    send(ctx, new DefaultSocks5InitialRequest(methods));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (promise.isDone()) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      if (msg instanceof DecoderResultProvider p && p.decoderResult().isFailure()) {
        DecoderResult r = p.decoderResult();
        fail(ctx, new IOException("malformed SOCKS5 reply", r.cause()));
      } else if (msg instanceof Socks5InitialResponse r) {
        onGreeting(ctx, r.authMethod());
      } else if (msg instanceof Socks5PasswordAuthResponse r) {
        if (r.status() == Socks5PasswordAuthStatus.SUCCESS) {
          sendCommand(ctx);
        } else {
          fail(ctx, new IOException("SOCKS5 server refused the username/password"));
        }
      } else if (msg instanceof Socks5CommandResponse r) {
        if (r.status() == Socks5CommandStatus.SUCCESS) {
          ctx.pipeline().remove(DECODER);
          ctx.pipeline().remove(ENCODER);
          ctx.pipeline().remove(this);
          promise.trySuccess(r);
        } else {
          fail(ctx, new IOException("SOCKS5 " + request.type() + " refused: " + r.status()));
        }
      } else if (msg instanceof ByteBuf) {
        fail(ctx, new IOException("unexpected bytes during the SOCKS5 handshake"));
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void onGreeting(ChannelHandlerContext ctx, Socks5AuthMethod method) {
    if (method == Socks5AuthMethod.NO_AUTH) {
      sendCommand(ctx);
    } else if (method == Socks5AuthMethod.PASSWORD && username != null) {
      ctx.pipeline().replace(DECODER, DECODER, new Socks5PasswordAuthResponseDecoder());
      send(ctx, new DefaultSocks5PasswordAuthRequest(username, password));
    } else {
      fail(ctx, new IOException("SOCKS5 server wants an unsupported method: " + method));
    }
  }

  private void sendCommand(ChannelHandlerContext ctx) {
    ctx.pipeline().replace(DECODER, DECODER, new Socks5CommandResponseDecoder());
    send(ctx, request);
  }

  /** UDP ASSOCIATE from 0.0.0.0:0: the client's UDP address is not known before it sends. */
  static DefaultSocks5CommandRequest udpAssociateRequest() {
    return new DefaultSocks5CommandRequest(
        Socks5CommandType.UDP_ASSOCIATE, Socks5AddressType.IPv4, "0.0.0.0", 0);
  }

  /** A command to {@code d}: by name unless the name is a literal, so the server resolves it. */
  static DefaultSocks5CommandRequest commandRequest(Socks5CommandType type, Destination d) {
    if (d.nameBytes() != null) {
      return new DefaultSocks5CommandRequest(type, Socks5AddressType.DOMAIN, d.host(), d.port());
    }
    InetAddress literal = d.literal();
    return new DefaultSocks5CommandRequest(
        type,
        literal instanceof Inet4Address ? Socks5AddressType.IPv4 : Socks5AddressType.IPv6,
        literal.getHostAddress(),
        d.port());
  }
}
