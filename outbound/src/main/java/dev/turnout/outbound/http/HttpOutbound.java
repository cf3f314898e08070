package dev.turnout.outbound.http;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.ProxyOutbound;
import dev.turnout.outbound.tls.Tls;
import dev.turnout.outbound.tls.TlsEof;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * An HTTP proxy (Clash {@code type: http}) reached with CONNECT, optionally over TLS and with basic
 * authentication. A 2xx reply means the tunnel is open; anything else fails the connect with the
 * status line. The reply head is parsed here rather than with codec-http's client codec: its
 * removal in the middle of a read can reorder the tunnel's first bytes, and a CONNECT reply needs
 * no more than a status line and the blank line that ends the head.
 */
final class HttpOutbound extends ProxyOutbound {
  static final int MAX_HEAD = 16 * 1024;

  private final String authorization;
  private final Tls tls;

  HttpOutbound(
      String name,
      String server,
      int port,
      String username,
      String password,
      Tls tls,
      Dialer dialer) {
    super(name, server, port, dialer);
    this.authorization =
        username == null
            ? null
            : "Basic "
                + Base64.getEncoder()
                    .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    this.tls = tls;
  }

  @Override
  public String type() {
    return "Http";
  }

  @Override
  protected void handshake(Channel ch, Destination destination, Promise<Channel> promise) {
    if (tls != null) {
      add(ch, tls.newHandler(ch.alloc(), port()));
      add(ch, new TlsEof());
    }
    add(ch, new Connect(request(destination, authorization), promise));
  }

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

  static String authority(Destination d) {
    String host = d.host();
    if (host == null) {
      InetAddress a = d.address();
      host = NetUtil.toAddressString(a);
    }
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + d.port();
  }

  /** Sends the CONNECT request and reads the reply head; bytes after it go down the pipeline. */
  private static final class Connect extends ChannelInboundHandlerAdapter {
    private final String request;
    private final Promise<Channel> promise;
    private ByteBuf head;

    Connect(String request, Promise<Channel> promise) {
      this.request = request;
      this.promise = promise;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      head = ctx.alloc().heapBuffer(256);
      ctx.writeAndFlush(Unpooled.copiedBuffer(request, StandardCharsets.ISO_8859_1))
          .addListener(
              f -> {
                if (f.isSuccess()) {
                  ctx.read();
                } else {
                  promise.tryFailure(f.cause());
                }
              });
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      head.release();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (promise.isDone() || !(msg instanceof ByteBuf in)) {
        ctx.fireChannelRead(msg);
        return;
      }
      try {
        int end = -1;
        while (in.isReadable() && end < 0) {
          head.writeByte(in.readByte());
          int n = head.writerIndex();
          if (n >= 4 && head.getInt(n - 4) == 0x0d0a0d0a) {
            end = n;
          }
        }
        if (end < 0) {
          if (head.readableBytes() > MAX_HEAD) {
            promise.tryFailure(new IOException("HTTP proxy reply head longer than " + MAX_HEAD));
          }
          return;
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        String status = text.substring(0, Math.max(0, text.indexOf("\r\n")));
        String[] parts = status.split(" ", 3);
        int code = -1;
        if (parts.length >= 2 && parts[0].startsWith("HTTP/1.")) {
          try {
            code = Integer.parseInt(parts[1]);
          } catch (NumberFormatException e) {
            code = -1;
          }
        }
        if (code < 200 || code > 299) {
          promise.tryFailure(
              new IOException(
                  "HTTP proxy refused CONNECT: "
                      + (code < 0
                          ? "malformed reply " + ByteBufUtil.hexDump(head, 0, 16)
                          : status)));
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

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      promise.tryFailure(cause);
    }
  }
}
