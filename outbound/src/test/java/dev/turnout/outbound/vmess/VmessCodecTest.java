package dev.turnout.outbound.vmess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.outbound.Channels;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.RecordingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.random.RandomGenerator;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * VMess AEAD on bytes: the request header and the first chunk against known answers, the server's
 * response through an EmbeddedChannel in any slicing, and broken responses. The known answers come
 * from {@code src/test/resources/dev/turnout/outbound/vmess/vectors.py}, an implementation of
 * v2fly's description that shares no code with Turnout; the inputs here mirror its own.
 */
class VmessCodecTest {
  static final UUID USER = UUID.fromString("b831381d-6324-4d53-ad4f-8cda48b30811");
  static final long TIME = 1_700_000_000L;
  static final Destination TARGET = new Destination("example.org", null, 443);

  /** The answers of vectors.py for one body cipher. */
  enum Vectors {
    AES_128_GCM(
        VmessSession.AES_128_GCM,
        "01101112131415161718191a1b1c1d1e1f000102030405060708090a0b0c0d0e0f200153000101bb020b"
            + "6578616d706c652e6f72672122232425c83df09d",
        "6991051a17b9dbbe8d3cd4390d6e3e313dad238568706942f37bd8e5339cf14b30642a2b2c2d2e2f3031"
            + "3b8cdbe925304a81aa60d8a2a518a9d6ba4230c004a6e35088558a3ac305dbf72827d3498658a5f24e"
            + "ef5fb94740014a7f13e4e177d280b3f0610af9182bb9b92df8c2bbb260ccb8dc3b92358776",
        "0015a316c4d586054e854b4a74fc9040de5bd5eb74d177",
        "936c422a7a3f0c4835561f50648898c4d6e3d010e4a65c871aac250792ebd1349d3f7436638a00157de9"
            + "5d44a242ab226ca1ecec301176ddca0d3ecba90010f75b631b09778035360a05d18570160c"),
    CHACHA20_POLY1305(
        VmessSession.CHACHA20_POLY1305,
        "01101112131415161718191a1b1c1d1e1f000102030405060708090a0b0c0d0e0f200154000101bb020b"
            + "6578616d706c652e6f726721222324257686c6f8",
        "6991051a17b9dbbe8d3cd4390d6e3e313dad238568706942f37bd8e5339cf14b30642a2b2c2d2e2f3031"
            + "3b8cdbe925304a81aa60d8a2a518a9d6ba4230c004a6e35088558a3ac305dbf72827d34e8658a5f24e"
            + "ef5fb94740014a7f13e4e177d280b3f061b4422e4ec983d6c1e5338b5b413ad73bb301120b",
        "0015d7f66656047edbebabfc02352cca6f96fcc82771bc",
        "936c422a7a3f0c4835561f50648898c4d6e3d010e4a65c871aac250792ebd1349d3f7436638a0015f53b"
            + "50a9c47597d7ab2afcc723efb7dde0af48e0a30010376202618d892f6e297f3684bf2c5d0a");

    final int security;
    final String header;
    final String sealed;
    final String hello;
    final String response;

    Vectors(int security, String header, String sealed, String hello, String response) {
      this.security = security;
      this.header = header;
      this.sealed = sealed;
      this.hello = hello;
      this.response = response;
    }
  }

  /** The response header with V = 0x21 where the request said 0x20; no chunks. */
  private static final String WRONG_V =
      "936c422a7a3f0c4835561f50648898c4d6e3d110e4a645af2caf311b00f90e5d23c8c22d92f6";

  /** Bytes of the sealed response header: length (2 + tag), then V, option, command, length. */
  private static final int RESPONSE_HEADER = VmessHeader.SEALED_LENGTH + 4 + 16;

  private final RecordingAllocator alloc = new RecordingAllocator();
  private EmbeddedChannel ch;

  @AfterEach
  void noExceptionEscapedAndNothingLeft() {
    if (ch != null) {
      assertThatCode(ch::checkException).doesNotThrowAnyException();
      ch.finishAndReleaseAll();
    }
    alloc.assertAllReleased();
  }

  /** Hands out the bytes 0, 1, 2, ... in order and 5 for the padding length, as vectors.py. */
  static final class Counting implements RandomGenerator {
    private int next;

    @Override
    public void nextBytes(byte[] bytes) {
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) next++;
      }
    }

    @Override
    public int nextInt(int bound) {
      return 5;
    }

    @Override
    public long nextLong() {
      throw new UnsupportedOperationException("the header draws only bytes and the padding");
    }
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  private static byte[] bytes(String hex) {
    return HexFormat.of().parseHex(hex);
  }

  /** A session, its sealed header and a channel with the codec, as VmessOutbound makes them. */
  private VmessSession connect(Vectors v) {
    Counting random = new Counting();
    VmessSession session = new VmessSession(v.security, random);
    byte[] header = VmessHeader.request(session, TARGET, random);
    byte[] sealed = VmessHeader.seal(VmessHeader.commandKey(USER), header, TIME, random);
    ch = new EmbeddedChannel();
    ch.config().setAllocator(alloc);
    ch.pipeline().addLast(new VmessCodec(session, sealed));
    return session;
  }

  private String sent() {
    return Channels.sentHex(ch);
  }

  private String received() {
    StringBuilder s = new StringBuilder();
    for (ByteBuf b; (b = ch.readInbound()) != null; ) {
      s.append(b.toString(StandardCharsets.US_ASCII));
      b.release();
    }
    return s.toString();
  }

  private void receive(byte[] bytes, int from, int to) {
    ch.writeInbound(alloc.buffer(to - from).writeBytes(bytes, from, to - from));
  }

  @Test
  void theUserKeysMatchTheReference() {
    byte[] cmdKey = VmessHeader.commandKey(USER);
    assertThat(hex(cmdKey)).isEqualTo("b50d916ac0cec067981af8e5f38a758f");
    assertThat(hex(VmessKdf.kdf16(cmdKey, VmessKdf.bytes("AES Auth ID Encryption"))))
        .isEqualTo("1415ba74ca8b3d041a8f583fb4116315");
  }

  @ParameterizedTest
  @EnumSource(Vectors.class)
  void theRequestHeaderAndItsSealMatchTheReference(Vectors v) {
    Counting random = new Counting();
    VmessSession session = new VmessSession(v.security, random);
    byte[] header = VmessHeader.request(session, TARGET, random);
    assertThat(hex(header)).isEqualTo(v.header);
    byte[] sealed = VmessHeader.seal(VmessHeader.commandKey(USER), header, TIME, random);
    assertThat(hex(sealed)).isEqualTo(v.sealed);
  }

  @ParameterizedTest
  @EnumSource(Vectors.class)
  void theSealedHeaderGoesOutAheadOfTheFirstChunkAndAnEmptyWriteSendsItAlone(Vectors v) {
    connect(v);
    ch.writeOutbound(Unpooled.EMPTY_BUFFER);
    assertThat(sent()).isEqualTo(v.sealed);
    ch.writeOutbound(alloc.buffer().writeBytes("hello".getBytes(StandardCharsets.US_ASCII)));
    assertThat(sent()).isEqualTo(v.hello);
  }

  @ParameterizedTest
  @EnumSource(Vectors.class)
  void theResponseDecodesInAnySlicingAndEndsAtTheEmptyChunk(Vectors v) {
    byte[] response = bytes(v.response);
    for (int slice : new int[] {1, 2, 7, 17, 18, 19, response.length}) {
      connect(v);
      for (int at = 0; at < response.length; at += slice) {
        receive(response, at, Math.min(response.length, at + slice));
      }
      assertThat(received()).as("slices of %d", slice).isEqualTo("world");
      // After the end, the server's bytes are ignored.
      receive(response, 0, 10);
      assertThat(received()).isEmpty();
      assertThat(ch.isOpen()).isTrue();
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void largeWritesBecomeChunksAServerCanOpen() throws Exception {
    VmessSession session = connect(Vectors.AES_128_GCM);
    byte[] data = new byte[3 * VmessCodec.MAX_PAYLOAD + 100];
    new SplittableRandom(7).nextBytes(data);
    ch.writeOutbound(alloc.buffer().writeBytes(data));
    byte[] wire = bytes(sent());
    ByteBuffer in = ByteBuffer.wrap(wire).position(Vectors.AES_128_GCM.sealed.length() / 2);
    ByteArrayOutputStream opened = new ByteArrayOutputStream();
    for (int count = 0; in.hasRemaining(); count++) {
      int length = in.getShort() & 0xffff;
      assertThat(length - 16).isBetween(1, VmessCodec.MAX_PAYLOAD);
      byte[] nonce = Arrays.copyOf(session.requestIv, 12);
      nonce[0] = (byte) (count >>> 8);
      nonce[1] = (byte) count;
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(
          Cipher.DECRYPT_MODE,
          new SecretKeySpec(session.requestKey, "AES"),
          new GCMParameterSpec(128, nonce));
      byte[] chunk = new byte[length];
      in.get(chunk);
      opened.writeBytes(gcm.doFinal(chunk));
    }
    assertThat(opened.toByteArray()).isEqualTo(data);
  }

  @Test
  void aTamperedResponseHeaderClosesTheConnectionAndEmitsNothing() {
    for (int at : new int[] {0, VmessHeader.SEALED_LENGTH + 1}) {
      connect(Vectors.AES_128_GCM);
      byte[] response = bytes(Vectors.AES_128_GCM.response);
      response[at] ^= 1;
      receive(response, 0, response.length);
      assertThat(received()).isEmpty();
      assertThat(ch.isOpen()).as("byte %d flipped", at).isFalse();
      assertThatCode(ch::checkException).doesNotThrowAnyException();
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void aResponseForAnotherRequestClosesTheConnection() {
    connect(Vectors.AES_128_GCM);
    byte[] response = bytes(WRONG_V);
    receive(response, 0, response.length);
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void aTamperedChunkClosesTheConnectionAndEmitsNothing() {
    connect(Vectors.CHACHA20_POLY1305);
    byte[] response = bytes(Vectors.CHACHA20_POLY1305.response);
    response[RESPONSE_HEADER + 3] ^= 1;
    receive(response, 0, response.length);
    assertThat(received()).isEmpty();
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void aChunkShorterThanItsTagClosesTheConnection() {
    connect(Vectors.AES_128_GCM);
    byte[] response = bytes(Vectors.AES_128_GCM.response);
    receive(response, 0, RESPONSE_HEADER);
    ch.writeInbound(alloc.buffer().writeBytes(bytes("0005" + "0102030405")));
    assertThat(received()).isEmpty();
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void aResponseCutShortWaitsThenEndsWithTheConnection() {
    connect(Vectors.AES_128_GCM);
    byte[] response = bytes(Vectors.AES_128_GCM.response);
    receive(response, 0, RESPONSE_HEADER + 10);
    assertThat(received()).isEmpty();
    assertThat(ch.isOpen()).isTrue();
    ch.close();
    assertThat(received()).isEmpty();
  }

  @Test
  void aNameLongerThanTheHeaderCanCarryIsRefused() {
    Counting random = new Counting();
    VmessSession session = new VmessSession(VmessSession.AES_128_GCM, random);
    Destination tooLong = new Destination("a".repeat(256), null, 443);
    assertThatThrownBy(() -> VmessHeader.request(session, tooLong, random))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
