package dev.turnout.outbound.http;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.ProxyHandshake;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The client side of HTTP CONNECT on a connected channel (behind TLS when the proxy uses it): sends
 * the request once added, reads the reply head with {@link HttpReplyHead}, then completes {@code
 * promise} with the channel and leaves the pipeline; bytes after the head continue down the
 * pipeline. A refusal fails {@code promise} with the status line and closes the channel.
 *
 * <p>The head is read here rather than with codec-http's client codec: removing that codec in the
 * middle of a read can reorder the tunnel's first bytes, and a CONNECT reply needs no more than a
 * status line and the blank line that ends the head.
 */
final class HttpConnectHandshake extends ProxyHandshake {
  private final String request;
  private final Promise<Channel> promise;
  private final HttpReplyHead head = new HttpReplyHead();

  HttpConnectHandshake(String request, Promise<Channel> promise) {
    super(promise, "HTTP proxy closed the connection during CONNECT");
    this.request = request;
    this.promise = promise;
  }

  /** The request for a tunnel to {@code d}, with a {@code Proxy-Authorization} unless null. */
  static String request(Destination d, String authorization) {
    String authority = authority(d);
    return "CONNECT "
        + authority
        + " HTTP/1.1\r\nHost: "
        + authority
        + "\r\n"
        + (authorization == null ? "" : "Proxy-Authorization: " + authorization + "\r\n")
        + "\r\n";
  }

  /** {@code host:port}, the name if known, IPv6 literals in brackets. */
  static String authority(Destination d) {
    String host = d.host() != null ? d.host() : NetUtil.toAddressString(d.address());
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + d.port();
  }

  /** Basic authentication, or null without a user name. */
  static String basic(String username, String password) {
    if (username == null) {
      return null;
    }
    byte[] credentials = (username + ":" + password).getBytes(StandardCharsets.UTF_8);
    return "Basic " + Base64.getEncoder().encodeToString(credentials);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    send(ctx, Unpooled.copiedBuffer(request, StandardCharsets.ISO_8859_1));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (promise.isDone() || !(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      if (!head.read(in)) {
        return;
      }
      if (head.refusal() != null) {
        fail(ctx, new IOException(head.refusal()));
        return;
      }
      ctx.pipeline().remove(this);
      promise.trySuccess(ctx.channel());
      if (in.isReadable()) {
        ctx.fireChannelRead(in.retain());
      }
    } finally {
      in.release();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (!promise.isDone()) {
      ctx.read();
    }
  }
}
