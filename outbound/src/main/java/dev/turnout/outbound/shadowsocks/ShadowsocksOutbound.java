package dev.turnout.outbound.shadowsocks;

import dev.turnout.outbound.ChannelDatagramSession;
import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.ProxyHandshake;
import dev.turnout.outbound.ProxyOutbound;
import dev.turnout.outbound.Transport;
import dev.turnout.outbound.UdpOutbound;
import dev.turnout.outbound.socks.SocksAddress;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A Shadowsocks AEAD server (Clash {@code type: ss}). TCP: the stream codecs stay in the pipeline;
 * the target address (SOCKS5 encoding) is sent as the first chunk right away, so protocols where
 * the server speaks first work. UDP: one socket to the server, one sealed packet per datagram (see
 * {@link SsDatagramCodec}).
 */
final class ShadowsocksOutbound extends ProxyOutbound implements UdpOutbound {
  private final SsCipher cipher;
  private final byte[] masterKey;
  private final boolean udp;
  private final RandomGenerator random;

  ShadowsocksOutbound(
      String name,
      String server,
      int port,
      SsCipher cipher,
      String password,
      boolean udp,
      Transport transport,
      Dialer dialer) {
    super(name, server, port, dialer, transport);
    this.cipher = cipher;
    this.masterKey = cipher.masterKey(password);
    this.udp = udp;
    this.random = new SecureRandom();
  }

  @Override
  public String type() {
    return "Shadowsocks";
  }

  @Override
  protected void handshake(Channel ch, Destination destination, Promise<Channel> promise) {
    add(ch, new SsStreamDecoder(cipher, masterKey));
    add(ch, new SsStreamEncoder(cipher, masterKey, random));
    ByteBuf address = ch.alloc().buffer(SocksAddress.length(destination));
    SocksAddress.write(destination, address);
    ProxyHandshake.completeAfter(ch.writeAndFlush(address), ch, promise);
  }

  @Override
  public Future<DatagramSession> openUdp(EventLoop loop, DatagramSession.Receiver receiver) {
    if (!udp) {
      return udpNotEnabled(loop);
    }
    Promise<DatagramSession> promise = loop.newPromise();
    dialer()
        .resolve(server(), loop)
        .addListener(
            r -> {
              if (!r.isSuccess()) {
                promise.tryFailure(r.cause());
                return;
              }
              @SuppressWarnings("unchecked")
              InetAddress address = ((List<InetAddress>) r.getNow()).get(0);
              if (!dialer().allowed(address)) {
                promise.tryFailure(new ConnectException("refusing to send to " + address));
                return;
              }
              InetSocketAddress to = new InetSocketAddress(address, port());
              dialer()
                  .openDatagram(address instanceof Inet6Address, loop)
                  .addListener(
                      u -> {
                        if (!u.isSuccess()) {
                          promise.tryFailure(u.cause());
                          return;
                        }
                        SsDatagramCodec codec =
                            new SsDatagramCodec(name(), cipher, masterKey, random, to);
                        DatagramSession session =
                            ChannelDatagramSession.open(
                                (Channel) u.getNow(), codec, null, receiver);
                        if (!promise.trySuccess(session)) {
                          session.close();
                        }
                      });
            });
    return promise;
  }
}
