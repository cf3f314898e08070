package dev.turnout.inbound.socks;

import dev.turnout.inbound.Handover;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.relay.tcp.TcpRelay;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.socksx.v5.DefaultSocks5CommandResponse;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.util.concurrent.Future;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;

/**
 * The SOCKS5 reply to a CONNECT once the outbound's outcome is known (RFC 1928, section 6):
 * success, then the encoder leaves and bytes flow; or a status that says why — 0x02 for a rule's
 * REJECT, 0x04 for an unreachable or unknown host, 0x05 for a refused connection, 0x01 otherwise —
 * and the connection closes. BND.ADDR is 0.0.0.0:0: the outbound's local address would mean nothing
 * to the client, and CONNECT clients do not use it.
 */
final class Socks5Reply implements TcpRelay.Handshake {
  @Override
  public Future<?> connected(Channel client, Channel upstream) {
    return Handover.replyThenLeave(
        client, reply(Socks5CommandStatus.SUCCESS), Socks5Server.ENCODER);
  }

  @Override
  public void failed(Channel client, Throwable cause) {
    if (client.isActive()) {
      client.writeAndFlush(reply(status(cause))).addListener(ChannelFutureListener.CLOSE);
    }
  }

  static DefaultSocks5CommandResponse reply(Socks5CommandStatus status) {
    return new DefaultSocks5CommandResponse(status, Socks5AddressType.IPv4, "0.0.0.0", 0);
  }

  /** The reply status that says why a CONNECT failed. */
  static Socks5CommandStatus status(Throwable cause) {
    if (cause instanceof RejectOutbound.Rejected) {
      return Socks5CommandStatus.FORBIDDEN;
    }
    if (cause instanceof NoRouteToHostException || cause instanceof UnknownHostException) {
      return Socks5CommandStatus.HOST_UNREACHABLE;
    }
    if (cause instanceof ConnectException
        && String.valueOf(cause.getMessage()).contains("refused")) {
      return Socks5CommandStatus.CONNECTION_REFUSED;
    }
    if (cause instanceof io.netty.channel.ConnectTimeoutException) {
      return Socks5CommandStatus.HOST_UNREACHABLE;
    }
    return Socks5CommandStatus.FAILURE;
  }
}
