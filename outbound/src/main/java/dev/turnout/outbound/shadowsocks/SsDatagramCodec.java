package dev.turnout.outbound.shadowsocks;

import dev.turnout.outbound.AddressedDatagram;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.crypto.Aead;
import dev.turnout.outbound.socks.SocksAddress;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.MessageToMessageCodec;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shadowsocks AEAD over UDP: each {@link AddressedDatagram} becomes the packet {@code salt ||
 * seal(address || payload)} to the server, sealed with the subkey of its own random salt and the
 * all-zero nonce; the server's packets are opened the same way and become datagrams from the
 * address inside. Packets from elsewhere are dropped; packets that fail authentication or carry a
 * malformed address are logged and dropped. One per session.
 */
final class SsDatagramCodec extends MessageToMessageCodec<DatagramPacket, AddressedDatagram> {
  private static final Logger LOG = LoggerFactory.getLogger(SsDatagramCodec.class);

  private final String name;
  private final SsCipher cipher;
  private final byte[] masterKey;
  private final RandomGenerator random;
  private final InetSocketAddress server;

  /**
   * @param name the proxy's name, for log lines
   */
  SsDatagramCodec(
      String name,
      SsCipher cipher,
      byte[] masterKey,
      RandomGenerator random,
      InetSocketAddress server) {
    this.name = name;
    this.cipher = cipher;
    this.masterKey = masterKey;
    this.random = random;
    this.server = server;
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, AddressedDatagram datagram, List<Object> out) {
    Destination d = datagram.peer();
    ByteBuf payload = datagram.content();
    ByteBuf plain = ctx.alloc().heapBuffer(SocksAddress.length(d) + payload.readableBytes());
    try {
      SocksAddress.write(d, plain);
      plain.writeBytes(payload, payload.readerIndex(), payload.readableBytes());
      out.add(new DatagramPacket(seal(cipher, masterKey, random, plain), server));
    } finally {
      plain.release();
    }
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, DatagramPacket packet, List<Object> out) {
    if (!packet.sender().equals(server)) {
      return;
    }
    ByteBuf plain = open(cipher, masterKey, packet.content());
    if (plain == null) {
      LOG.debug("{}: dropping a UDP reply that failed authentication", name);
      return;
    }
    Destination source = SocksAddress.read(plain);
    if (source == null) {
      plain.release();
      LOG.debug("{}: dropping a UDP reply with a malformed address", name);
      return;
    }
    out.add(new AddressedDatagram(source, plain));
  }

  /**
   * Seals {@code plain} (address and payload) into a new packet; reads {@code plain} to its end.
   */
  static ByteBuf seal(SsCipher cipher, byte[] masterKey, RandomGenerator random, ByteBuf plain) {
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
}
