package dev.turnout.inbound.http;

import dev.turnout.outbound.RejectOutbound;
import dev.turnout.relay.tcp.TcpRelay;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;

/**
 * The answer to a CONNECT once the outbound's outcome is known: {@code 200 Connection established}
 * and then the tunnel's bytes, or 403 for a rule's REJECT and 502 for a failed dial, after which
 * the connection closes.
 */
final class ConnectReply implements TcpRelay.Handshake {
  static final byte[] ESTABLISHED =
      "HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  @Override
  public Future<?> connected(Channel client, Channel upstream) {
    // The reply is written as bytes: the HTTP encoder (which would refuse them) leaves first.
    client.pipeline().remove(HttpProxyServer.ENCODER);
    return client.writeAndFlush(Unpooled.wrappedBuffer(ESTABLISHED));
  }

  @Override
  public void failed(Channel client, Throwable cause) {
    if (!client.isActive()) {
      return;
    }
    client
        .writeAndFlush(
            cause instanceof RejectOutbound.Rejected
                ? ProxyRequests.error(HttpResponseStatus.FORBIDDEN, "rejected by rule")
                : ProxyRequests.error(HttpResponseStatus.BAD_GATEWAY, "cannot connect: " + cause))
        .addListener(ChannelFutureListener.CLOSE);
  }
}
