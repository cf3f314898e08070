package dev.turnout.launcher.udp;

import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Destination;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

/**
 * Carries one app flow through a proxy's UDP support (SOCKS5 UDP ASSOCIATE, Shadowsocks UDP, or a
 * group choosing one of those): one association per flow, every datagram addressed to the flow's
 * destination, every reply handed back to the app as coming from the address it sent to.
 */
public final class ProxiedUdpOutbound implements UdpOutbound {
  private final String name;
  private final dev.turnout.outbound.UdpOutbound proxy;

  public ProxiedUdpOutbound(String name, dev.turnout.outbound.UdpOutbound proxy) {
    this.name = name;
    this.proxy = proxy;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Future<Session> open(Destination destination, EventLoop loop, Replies replies) {
    Promise<Session> promise = loop.newPromise();
    proxy
        .openUdp(loop, (source, payload) -> replies.reply(payload))
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                promise.tryFailure(f.cause());
                return;
              }
              DatagramSession association = (DatagramSession) f.getNow();
              Session session =
                  new Session() {
                    @Override
                    public void send(ByteBuf payload) {
                      association.send(destination, payload);
                    }

                    @Override
                    public void close() {
                      association.close();
                    }
                  };
              if (!promise.trySuccess(session)) {
                association.close();
              }
            });
    return promise;
  }
}
