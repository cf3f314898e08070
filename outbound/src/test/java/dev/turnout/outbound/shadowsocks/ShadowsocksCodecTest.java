package dev.turnout.outbound.shadowsocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.turnout.outbound.AddressedDatagram;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.RecordingAllocator;
import dev.turnout.outbound.socks.SocksAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class ShadowsocksCodecTest {
  /** A random source that returns the same bytes every time, so the salt is known. */
  private static RandomGenerator fixed(byte value) {
    return new RandomGenerator() {
      @Override
      public long nextLong() {
        return 0x0101010101010101L * (value & 0xff);
      }

      @Override
      public void nextBytes(byte[] bytes) {
        java.util.Arrays.fill(bytes, value);
      }
    };
  }

  @Test
  void masterKeyIsEvpBytesToKeyWithMd5() {
    // MD5("password") is a well-known digest.
    assertThat(HexFormat.of().formatHex(SsCipher.AES_128_GCM.masterKey("password")))
        .isEqualTo("5f4dcc3b5aa765d61d8327deb882cf99");
    byte[] k32 = SsCipher.AES_256_GCM.masterKey("password");
    assertThat(HexFormat.of().formatHex(k32)).startsWith("5f4dcc3b5aa765d61d8327deb882cf99");
  }

  @Test
  void hkdfMatchesRfc5869StyleComputationWithMacDirectly() throws Exception {
    byte[] ikm = new byte[16];
    byte[] salt = new byte[16];
    java.util.Arrays.fill(salt, (byte) 7);
    Mac mac = Mac.getInstance("HmacSHA1");
    mac.init(new SecretKeySpec(salt, "HmacSHA1"));
    byte[] prk = mac.doFinal(ikm);
    mac.init(new SecretKeySpec(prk, "HmacSHA1"));
    mac.update("ss-subkey".getBytes(StandardCharsets.US_ASCII));
    mac.update((byte) 1);
    byte[] t1 = mac.doFinal();
    assertThat(SsCipher.AES_128_GCM.subkey(ikm, salt)).isEqualTo(java.util.Arrays.copyOf(t1, 16));
  }

  @Test
  void firstChunkBytesMatchTheJdkCipherUsedDirectly() throws Exception {
    for (SsCipher c : SsCipher.values()) {
      byte[] master = c.masterKey("secret");
      EmbeddedChannel ch = new EmbeddedChannel(new SsStreamEncoder(c, master, fixed((byte) 9)));
      ch.writeOutbound(Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII));
      ByteBuf out = ch.readOutbound();
      byte[] salt = new byte[c.saltSize()];
      java.util.Arrays.fill(salt, (byte) 9);
      byte[] subkey = c.subkey(master, salt);
      byte[] expected =
          concat(
              salt,
              seal(c, subkey, 0, new byte[] {0, 5}),
              seal(c, subkey, 1, "hello".getBytes(StandardCharsets.US_ASCII)));
      assertThat(ByteBufUtil.getBytes(out)).as(c.configName).isEqualTo(expected);
      out.release();
    }
  }

  private static byte[] seal(SsCipher c, byte[] key, int counter, byte[] plain) throws Exception {
    byte[] nonce = new byte[12];
    nonce[0] = (byte) counter;
    if (c == SsCipher.XCHACHA20_IETF_POLY1305) {
      // XChaCha20: the subkey of the nonce's first 16 bytes, then ChaCha20-Poly1305 with a nonce
      // of 4 zero bytes and the 24-byte nonce's last 8 (all zero here).
      byte[] first16 = new byte[16];
      first16[0] = (byte) counter;
      Cipher x = Cipher.getInstance("ChaCha20-Poly1305");
      x.init(
          Cipher.ENCRYPT_MODE,
          new SecretKeySpec(dev.turnout.outbound.crypto.HChaCha20.subkey(key, first16), "ChaCha20"),
          new IvParameterSpec(new byte[12]));
      return x.doFinal(plain);
    }
    Cipher cipher = Cipher.getInstance(c.transformation);
    cipher.init(
        Cipher.ENCRYPT_MODE,
        new SecretKeySpec(key, c.keyAlgorithm),
        c == SsCipher.CHACHA20_IETF_POLY1305
            ? new IvParameterSpec(nonce)
            : new GCMParameterSpec(128, nonce));
    return cipher.doFinal(plain);
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  @Test
  void randomStreamsRoundTripInArbitrarySlices() {
    SplittableRandom random = new SplittableRandom(42);
    for (int round = 0; round < 60; round++) {
      SsCipher c = SsCipher.values()[round % 3];
      byte[] master = c.masterKey("pw" + round);
      EmbeddedChannel enc =
          new EmbeddedChannel(new SsStreamEncoder(c, master, fixed((byte) round)));
      EmbeddedChannel dec = new EmbeddedChannel(new SsStreamDecoder(c, master));
      byte[] data = new byte[random.nextInt(0, 70_000)];
      random.nextBytes(data);
      int at = 0;
      while (at < data.length) {
        int n = Math.min(data.length - at, random.nextInt(1, 40_000));
        enc.writeOutbound(Unpooled.wrappedBuffer(data, at, n));
        at += n;
      }
      ByteBuf wire = Unpooled.buffer();
      for (ByteBuf b; (b = enc.readOutbound()) != null; ) {
        wire.writeBytes(b);
        b.release();
      }
      while (wire.isReadable()) {
        dec.writeInbound(
            wire.readRetainedSlice(Math.min(wire.readableBytes(), random.nextInt(1, 3000))));
      }
      wire.release();
      ByteBuf got = Unpooled.buffer();
      for (ByteBuf b; (b = dec.readInbound()) != null; ) {
        got.writeBytes(b);
        b.release();
      }
      assertThat(ByteBufUtil.getBytes(got)).isEqualTo(data);
      got.release();
    }
  }

  @Test
  void tamperedChunkClosesTheChannelAndEmitsNothing() {
    SsCipher c = SsCipher.AES_256_GCM;
    byte[] master = c.masterKey("x");
    EmbeddedChannel enc = new EmbeddedChannel(new SsStreamEncoder(c, master, fixed((byte) 1)));
    enc.writeOutbound(Unpooled.copiedBuffer("payload", StandardCharsets.US_ASCII));
    ByteBuf wire = enc.readOutbound();
    wire.setByte(wire.writerIndex() - 1, wire.getByte(wire.writerIndex() - 1) ^ 1);
    EmbeddedChannel dec = new EmbeddedChannel(new SsStreamDecoder(c, master));
    dec.writeInbound(wire);
    assertThat((Object) dec.readInbound()).isNull();
    assertThat(dec.isOpen()).isFalse();
  }

  @Test
  void udpPacketRoundTripsAndRejectsAWrongKey() {
    SsCipher c = SsCipher.CHACHA20_IETF_POLY1305;
    byte[] master = c.masterKey("udp");
    ByteBuf plain = Unpooled.buffer();
    SocksAddress.write(new Destination("example.org", null, 53), plain);
    plain.writeBytes(new byte[] {1, 2, 3});
    ByteBuf packet = SsDatagramCodec.seal(c, master, fixed((byte) 3), plain);
    ByteBuf copy = packet.copy();
    AddressedDatagram opened = SsDatagramCodec.open(c, master, packet);
    assertThat(opened.peer()).isEqualTo(new Destination("example.org", null, 53));
    assertThat(ByteBufUtil.getBytes(opened.content())).containsExactly(1, 2, 3);
    assertThat(SsDatagramCodec.open(c, c.masterKey("other"), copy)).isNull();
    opened.release();
    for (ByteBuf b : new ByteBuf[] {plain, packet, copy}) {
      b.release();
    }
  }

  private static final InetSocketAddress SERVER = new InetSocketAddress("198.51.100.2", 8388);
  private static final Destination DNS = new Destination("example.org", null, 53);

  private static byte[] plain(Destination d, byte[] payload) {
    ByteBuf b = Unpooled.buffer();
    SocksAddress.write(d, b);
    b.writeBytes(payload);
    byte[] out = ByteBufUtil.getBytes(b);
    b.release();
    return out;
  }

  @Test
  void udpCodecSealsEachDatagramForTheServerAndOpensItsReplies() throws Exception {
    RecordingAllocator alloc = new RecordingAllocator();
    for (SsCipher c : SsCipher.values()) {
      byte[] master = c.masterKey("udp");
      EmbeddedChannel udp = new EmbeddedChannel();
      udp.config().setAllocator(alloc);
      udp.pipeline().addLast(new SsDatagramCodec("ss", c, master, fixed((byte) 4), SERVER));
      udp.writeOutbound(new AddressedDatagram(DNS, alloc.buffer().writeBytes(new byte[] {7, 8})));
      DatagramPacket out = udp.readOutbound();
      assertThat(out.recipient()).isEqualTo(SERVER);
      byte[] salt = new byte[c.saltSize()];
      java.util.Arrays.fill(salt, (byte) 4);
      byte[] subkey = c.subkey(master, salt);
      assertThat(ByteBufUtil.getBytes(out.content()))
          .as(c.configName)
          .isEqualTo(concat(salt, seal(c, subkey, 0, plain(DNS, new byte[] {7, 8}))));
      out.release();

      Destination source = new Destination(null, InetAddress.getByName("198.51.100.9"), 53);
      byte[] reply = concat(salt, seal(c, subkey, 0, plain(source, new byte[] {9})));
      udp.writeInbound(new DatagramPacket(alloc.buffer().writeBytes(reply), null, SERVER));
      AddressedDatagram in = udp.readInbound();
      assertThat(in.peer()).isEqualTo(source);
      assertThat(ByteBufUtil.getBytes(in.content())).containsExactly(9);
      in.release();
      assertThatCode(udp::checkException).doesNotThrowAnyException();
      udp.finishAndReleaseAll();
    }
    alloc.assertAllReleased();
  }

  @Test
  void udpRepliesFromElsewhereForgedShortOrMalformedAreDroppedAndReleased() throws Exception {
    RecordingAllocator alloc = new RecordingAllocator();
    SsCipher c = SsCipher.AES_128_GCM;
    byte[] master = c.masterKey("udp");
    EmbeddedChannel udp = new EmbeddedChannel();
    udp.config().setAllocator(alloc);
    udp.pipeline().addLast(new SsDatagramCodec("ss", c, master, fixed((byte) 4), SERVER));
    byte[] salt = new byte[c.saltSize()];
    byte[] subkey = c.subkey(master, salt);
    byte[] good = concat(salt, seal(c, subkey, 0, plain(DNS, new byte[] {1})));
    byte[] forged = good.clone();
    forged[forged.length - 1] ^= 1;
    byte[] badAddress = concat(salt, seal(c, subkey, 0, new byte[] {7, 1, 2, 3, 4, 0, 53}));
    InetSocketAddress stranger = new InetSocketAddress("198.51.100.3", 8388);
    Object[][] cases = {
      {good, stranger},
      {forged, SERVER},
      {java.util.Arrays.copyOf(good, c.saltSize() + 15), SERVER},
      {badAddress, SERVER}
    };
    for (Object[] k : cases) {
      ByteBuf bytes = alloc.buffer().writeBytes((byte[]) k[0]);
      udp.writeInbound(new DatagramPacket(bytes, null, (InetSocketAddress) k[1]));
      assertThat((Object) udp.readInbound()).isNull();
      assertThat(bytes.refCnt()).isZero();
    }
    assertThat(udp.isOpen()).isTrue();
    assertThatCode(udp::checkException).doesNotThrowAnyException();
    udp.finishAndReleaseAll();
    alloc.assertAllReleased();
  }
}
