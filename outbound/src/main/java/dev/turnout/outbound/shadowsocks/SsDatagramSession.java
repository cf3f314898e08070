package dev.turnout.outbound.shadowsocks;

import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.crypto.Aead;
import dev.turnout.outbound.socks.SocksAddress;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shadowsocks AEAD over UDP: each datagram is {@code salt || seal(address || payload)}, sealed with
 * the subkey of its own random salt and the all-zero nonce; replies are the same with the source
 * address. Packets that fail authentication are counted in the log and dropped.
 */
final class SsDatagramSession implements DatagramSession {
  private static final Logger LOG = LoggerFactory.getLogger(SsDatagramSession.class);

  private final ShadowsocksOutbound proxy;
  private final Channel udp;
  private final InetSocketAddress server;
  private final Promise<Void> closed;

  private SsDatagramSession(ShadowsocksOutbound proxy, Channel udp, InetSocketAddress server) {
    this.proxy = proxy;
    this.udp = udp;
    this.server = server;
    this.closed = udp.eventLoop().newPromise();
    udp.closeFuture().addListener(f -> closed.trySuccess(null));
  }

  static Future<DatagramSession> open(
      ShadowsocksOutbound proxy, Dialer dialer, EventLoop loop, Receiver receiver) {
    Promise<DatagramSession> promise = loop.newPromise();
    dialer
        .resolve(proxy.server(), loop)
        .addListener(
            r -> {
              if (!r.isSuccess()) {
                promise.tryFailure(r.cause());
                return;
              }
              @SuppressWarnings("unchecked")
              InetAddress address = ((List<InetAddress>) r.getNow()).get(0);
              if (!dialer.allowed(address)) {
                promise.tryFailure(new java.net.ConnectException("refusing to send to " + address));
                return;
              }
              InetSocketAddress server = new InetSocketAddress(address, proxy.port());
              dialer
                  .openDatagram(address instanceof Inet6Address, loop)
                  .addListener(
                      u -> {
                        if (!u.isSuccess()) {
                          promise.tryFailure(u.cause());
                          return;
                        }
                        Channel udp = (Channel) u.getNow();
                        udp.pipeline().addLast(new Replies(proxy, server, receiver));
                        promise.trySuccess(new SsDatagramSession(proxy, udp, server));
                      });
            });
    return promise;
  }

  @Override
  public void send(Destination destination, ByteBuf payload) {
    try {
      ByteBuf plain =
          udp.alloc().heapBuffer(SocksAddress.length(destination) + payload.readableBytes());
      SocksAddress.write(destination, plain);
      plain.writeBytes(payload);
      ByteBuf packet = seal(proxy.cipher(), proxy.masterKey(), proxy.random(), plain);
      plain.release();
      udp.writeAndFlush(new DatagramPacket(packet, server));
    } finally {
      payload.release();
    }
  }

  static ByteBuf seal(
      SsCipher cipher, byte[] masterKey, java.util.random.RandomGenerator random, ByteBuf plain) {
    byte[] salt = new byte[cipher.saltSize()];
    random.nextBytes(salt);
    ByteBuf out = plain.alloc().buffer(salt.length + plain.readableBytes() + Aead.TAG);
    out.writeBytes(salt);
    cipher.aead(masterKey, salt).seal(plain, plain.readableBytes(), out);
    return out;
  }

  /** Returns the plaintext (address and payload), or null when the packet does not authenticate. */
  static ByteBuf open(SsCipher cipher, byte[] masterKey, ByteBuf packet) {
    int n = packet.readableBytes() - cipher.saltSize() - Aead.TAG;
    if (n < 0) {
      return null;
    }
    byte[] salt = new byte[cipher.saltSize()];
    packet.readBytes(salt);
    ByteBuf plain = packet.alloc().heapBuffer(n);
    if (!cipher.aead(masterKey, salt).open(packet, n + Aead.TAG, plain)) {
      plain.release();
      return null;
    }
    return plain;
  }

  @Override
  public void close() {
    udp.close();
  }

  @Override
  public Future<?> closeFuture() {
    return closed;
  }

  private static final class Replies extends SimpleChannelInboundHandler<DatagramPacket> {
    private final ShadowsocksOutbound proxy;
    private final InetSocketAddress server;
    private final Receiver receiver;

    Replies(ShadowsocksOutbound proxy, InetSocketAddress server, Receiver receiver) {
      this.proxy = proxy;
      this.server = server;
      this.receiver = receiver;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      if (!packet.sender().equals(server)) {
        return;
      }
      ByteBuf plain = open(proxy.cipher(), proxy.masterKey(), packet.content());
      if (plain == null) {
        LOG.debug("{}: dropping a UDP reply that failed authentication", proxy.name());
        return;
      }
      Destination source = SocksAddress.read(plain);
      if (source == null) {
        plain.release();
        LOG.debug("{}: dropping a UDP reply with a malformed address", proxy.name());
        return;
      }
      receiver.received(source, plain);
    }
  }
}
