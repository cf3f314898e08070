package dev.turnout.inbound.mixed;

import dev.turnout.inbound.Dispatch;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.http.HttpProxyServer;
import dev.turnout.inbound.socks.SocksServers;
import dev.turnout.inbound.socks.UdpAssociations;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Tells the protocol of a client on a mixed or SOCKS port from its first byte — 0x05 SOCKS5, 0x04
 * SOCKS4/4a, anything else HTTP (a request line starts with a letter) — sets up that protocol's
 * handlers behind itself and leaves; the bytes it looked at go on to them. A SOCKS port refuses
 * what is not SOCKS (counted). Bytes only: sets up handlers, owns no socket.
 */
public final class FirstByte extends ByteToMessageDecoder {
  private final Dispatch dispatch;
  private final UdpAssociations udp;
  private final boolean http;

  /**
   * @param udp serves SOCKS5 UDP ASSOCIATE, or null
   * @param http whether HTTP clients are served (mixed) or refused (SOCKS only)
   */
  public FirstByte(Dispatch dispatch, UdpAssociations udp, boolean http) {
    this.dispatch = dispatch;
    this.udp = udp;
    this.http = http;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (!in.isReadable()) {
      return;
    }
    byte first = in.getByte(in.readerIndex());
    ChannelPipeline rest = ctx.pipeline();
    if (first == SocksServers.SOCKS5) {
      SocksServers.socks5(rest, dispatch, udp);
    } else if (first == SocksServers.SOCKS4) {
      SocksServers.socks4(rest, dispatch);
    } else if (http) {
      HttpProxyServer.install(rest, dispatch);
    } else {
      dispatch
          .stats()
          .bad(
              InboundStats.Event.MALFORMED,
              "{}: {} speaks neither SOCKS5 nor SOCKS4 (first byte 0x{})",
              dispatch.listener().name(),
              ctx.channel().remoteAddress(),
              Integer.toHexString(first & 0xff));
      in.skipBytes(in.readableBytes());
      ctx.close();
      return;
    }
    ctx.pipeline().remove(this); // what was read goes to the handlers just added
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    super.userEventTriggered(ctx, event); // decodes what is left, which may choose a protocol
    if (event instanceof ChannelInputShutdownEvent && !ctx.isRemoved()) {
      ctx.close(); // the client left without a byte
    }
  }
}
