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
    out.add(
        new DatagramPacket(
            seal(cipher, masterKey, random, datagram.peer(), datagram.content()), server));
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, DatagramPacket packet, List<Object> out) {
    if (!packet.sender().equals(server)) {
      return;
    }
    AddressedDatagram reply = open(cipher, masterKey, packet.content());
    if (reply == null) {
      LOG.debug("{}: dropping a UDP reply that failed authentication or has no address", name);
      return;
    }
    out.add(reply);
  }

  /**
   * The packet for {@code payload} to or from {@code peer}: its address, then the payload, sealed.
   * Reads neither; the caller still owns {@code payload}.
   */
  static ByteBuf seal(
      SsCipher cipher,
      byte[] masterKey,
      RandomGenerator random,
      Destination peer,
      ByteBuf payload) {
    ByteBuf plain = payload.alloc().heapBuffer(SocksAddress.length(peer) + payload.readableBytes());
    try {
      SocksAddress.write(peer, plain);
      plain.writeBytes(payload, payload.readerIndex(), payload.readableBytes());
      return seal(cipher, masterKey, random, plain);
    } finally {
      plain.release();
    }
  }

  /**
   * A packet opened into its peer and payload; null when it does not authenticate or its address is
   * malformed. Reads {@code packet}; the caller still owns it.
   */
  static AddressedDatagram open(SsCipher cipher, byte[] masterKey, ByteBuf packet) {
    ByteBuf plain = openPlain(cipher, masterKey, packet);
    if (plain == null) {
      return null;
    }
    Destination peer = SocksAddress.read(plain);
    if (peer == null) {
      plain.release();
      return null;
    }
    return new AddressedDatagram(peer, plain);
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
  private static ByteBuf openPlain(SsCipher cipher, byte[] masterKey, ByteBuf packet) {
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
