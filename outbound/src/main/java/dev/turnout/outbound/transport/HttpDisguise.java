package dev.turnout.outbound.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a TCP stream look like one HTTP/1.1 exchange, as v2ray's TCP "http" header ({@code network:
 * http}) and simple-obfs's http mode do: the first chunk written goes out behind a request head,
 * and the server's response head (everything up to the first blank line, at most {@value #MAX_HEAD}
 * bytes) is taken off its first bytes. A head that is too long or not HTTP closes the connection.
 * One per connection.
 */
public final class HttpDisguise extends ChannelDuplexHandler {
  private static final Logger LOG = LoggerFactory.getLogger(HttpDisguise.class);
  static final int MAX_HEAD = 8192;

  private final IntFunction<String> requestHead;
  private boolean sent;
  private ByteBuf head;
  private boolean through;

  /**
   * @param requestHead the request head (request line and headers, ending in a blank line) sent in
   *     front of the first chunk, given that chunk's length; called once
   */
  public HttpDisguise(IntFunction<String> requestHead) {
    this.requestHead = requestHead;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!sent && msg instanceof ByteBuf buf) {
      sent = true;
      ByteBuf prefix = ByteBufUtil.writeAscii(ctx.alloc(), requestHead.apply(buf.readableBytes()));
      CompositeByteBuf both = ctx.alloc().compositeBuffer(2);
      both.addComponents(true, prefix, buf);
      ctx.write(both, promise);
      return;
    }
    ctx.write(msg, promise);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (through || !(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (head == null) {
      head = ctx.alloc().buffer(256);
    }
    head.writeBytes(in);
    in.release();
    int end = ByteBufUtil.indexOf(CRLFCRLF, head);
    if (end < 0) {
      if (head.readableBytes() > MAX_HEAD) {
        fail(ctx, "response head longer than " + MAX_HEAD + " bytes");
      }
      return;
    }
    if (!head.toString(0, Math.min(5, head.readableBytes()), StandardCharsets.US_ASCII)
        .equals("HTTP/")) {
      fail(ctx, "reply is not HTTP");
      return;
    }
    through = true;
    head.skipBytes(end + 4);
    ByteBuf rest = head;
    head = null;
    if (rest.isReadable()) {
      ctx.fireChannelRead(rest);
    } else {
      rest.release();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (!through) {
      ctx.read(); // the head is not complete: nobody behind asked for nothing
    }
    ctx.fireChannelReadComplete();
  }

  private static final ByteBuf CRLFCRLF =
      io.netty.buffer.Unpooled.unreleasableBuffer(
          io.netty.buffer.Unpooled.copiedBuffer("\r\n\r\n", StandardCharsets.US_ASCII));

  private void fail(ChannelHandlerContext ctx, String why) {
    through = true;
    ReferenceCountUtil.release(head);
    head = null;
    LOG.warn("{}: {}; closing", ctx.channel(), why);
    ctx.close();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    ReferenceCountUtil.release(head);
    head = null;
  }
}
