package dev.turnout.outbound.shadowsocks;

import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.ProxyOutbound;
import dev.turnout.outbound.UdpOutbound;
import dev.turnout.outbound.socks.SocksAddress;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.security.SecureRandom;
import java.util.random.RandomGenerator;

/**
 * A Shadowsocks AEAD server (Clash {@code type: ss}). TCP: the stream codecs stay in the pipeline;
 * the target address (SOCKS5 encoding) is sent as the first chunk right away, so protocols where
 * the server speaks first work. UDP: one sealed packet per datagram, see {@link SsDatagramSession}.
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
      Dialer dialer) {
    super(name, server, port, dialer);
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
    ch.writeAndFlush(address)
        .addListener(
            f -> {
              if (f.isSuccess()) {
                promise.trySuccess(ch);
              } else {
                promise.tryFailure(f.cause());
              }
            });
  }

  @Override
  public Future<DatagramSession> openUdp(EventLoop loop, DatagramSession.Receiver receiver) {
    if (!udp) {
      return loop.newFailedFuture(
          new UnsupportedOperationException(name() + ": udp is not enabled for this proxy"));
    }
    return SsDatagramSession.open(this, dialer(), loop, receiver);
  }

  SsCipher cipher() {
    return cipher;
  }

  byte[] masterKey() {
    return masterKey;
  }

  RandomGenerator random() {
    return random;
  }
}
