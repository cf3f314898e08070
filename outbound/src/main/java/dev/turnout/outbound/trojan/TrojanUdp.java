package dev.turnout.outbound.trojan;

import dev.turnout.outbound.ChannelDatagramSession;
import dev.turnout.outbound.DatagramSession;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

/**
 * Opens a Trojan UDP session: one connection to the server (over the proxy's transport) that starts
 * with the UDP ASSOCIATE header and then carries every datagram, to any destination, framed by
 * {@link TrojanDatagramCodec}. The connection closing closes the session.
 */
final class TrojanUdp {
  private TrojanUdp() {}

  static Future<DatagramSession> open(
      TrojanOutbound proxy,
      byte[] passwordHash,
      EventLoop loop,
      DatagramSession.Receiver receiver) {
    Promise<DatagramSession> promise = loop.newPromise();
    proxy
        .openTransport(loop)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                promise.tryFailure(f.cause());
                return;
              }
              Channel ch = (Channel) f.getNow();
              ByteBuf header = TrojanRequest.associate(ch.alloc(), passwordHash);
              ch.writeAndFlush(header)
                  .addListener(
                      w -> {
                        if (!w.isSuccess()) {
                          ch.close();
                          promise.tryFailure(w.cause());
                          return;
                        }
                        DatagramSession session =
                            ChannelDatagramSession.open(
                                ch, new TrojanDatagramCodec(proxy.name()), null, receiver);
                        // Replies are delivered as they come; the session has no reader to wait.
                        ch.config().setAutoRead(true);
                        if (!promise.trySuccess(session)) {
                          session.close();
                        }
                      });
            });
    return promise;
  }
}
