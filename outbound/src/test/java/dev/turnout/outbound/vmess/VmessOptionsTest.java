package dev.turnout.outbound.vmess;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.outbound.crypto.Shake128;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Arrays;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The VMess body options on bytes: masked and padded chunks as a server reads them (lengths
 * unmasked with SHAKE128 of the IV, padding length first), security NONE, cipher "zero", and the
 * legacy response header's byte-wise CFB.
 */
class VmessOptionsTest {
  private static final int MASKED =
      VmessSession.OPTION_CHUNK_STREAM
          | VmessSession.OPTION_CHUNK_MASKING
          | VmessSession.OPTION_GLOBAL_PADDING;

  private static byte[] encode(VmessSession session, byte[] payload) {
    EmbeddedChannel ch = new EmbeddedChannel(new VmessCodec(session, new byte[0], new Random(1)));
    ch.writeOutbound(Unpooled.wrappedBuffer(payload));
    ByteBuf out = Unpooled.buffer();
    for (ByteBuf b; (b = ch.readOutbound()) != null; b.release()) {
      out.writeBytes(b);
    }
    ch.finishAndReleaseAll();
    byte[] bytes = new byte[out.readableBytes()];
    out.readBytes(bytes);
    return bytes;
  }

  /** Reads the request body the way v2ray's server does, with a body of the same key and IV. */
  private static byte[] decodeAsServer(VmessSession s, byte[] wire) {
    VmessBody server = s.requestBody();
    ByteBuf in = Unpooled.wrappedBuffer(wire);
    ByteBuf plain = Unpooled.buffer();
    while (in.isReadable()) {
      int padding = server.nextPadding();
      int length = in.readUnsignedShort() ^ server.mask();
      assertThat(server.open(in, length - padding, plain)).isTrue();
      in.skipBytes(padding);
    }
    return Arrays.copyOf(plain.array(), plain.readableBytes());
  }

  @Test
  void maskedAndPaddedChunksAreWhatTheServerReads() {
    byte[] payload = new byte[20_000];
    new Random(2).nextBytes(payload);
    for (int security : new int[] {VmessSession.AES_128_GCM, VmessSession.NONE}) {
      VmessSession s = new VmessSession(security, MASKED, false, new Random(3));
      byte[] wire = encode(s, payload);
      assertThat(decodeAsServer(s, wire)).isEqualTo(payload);
      // The first length on the wire is masked: it is not the plain length.
      int first = (wire[0] & 0xff) << 8 | (wire[1] & 0xff);
      int mask = new Shake128(s.requestIv).nextUint16();
      assertThat(first).isNotEqualTo(first ^ mask);
    }
  }

  @Test
  void cipherZeroSendsTheStreamAsItIs() {
    VmessSession s = new VmessSession(VmessSession.NONE, 0, false, new Random(4));
    byte[] payload = {1, 2, 3};
    assertThat(encode(s, payload)).containsExactly(1, 2, 3);
  }

  @Test
  void legacyResponseHeaderCfbMatchesTheJdkAcrossAnySplit() throws Exception {
    byte[] key = new byte[16];
    byte[] iv = new byte[16];
    new Random(5).nextBytes(key);
    new Random(6).nextBytes(iv);
    byte[] plain = new byte[37];
    new Random(7).nextBytes(plain);
    Cipher jdk = Cipher.getInstance("AES/CFB/NoPadding");
    jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
    byte[] sealed = jdk.doFinal(plain);
    VmessResponse.Cfb cfb = new VmessResponse.Cfb(key, iv);
    byte[] a = cfb.update(Arrays.copyOfRange(sealed, 0, 4));
    byte[] b = cfb.update(Arrays.copyOfRange(sealed, 4, 21));
    byte[] c = cfb.update(Arrays.copyOfRange(sealed, 21, 37));
    ByteBuf all = Unpooled.buffer().writeBytes(a).writeBytes(b).writeBytes(c);
    assertThat(Arrays.copyOf(all.array(), 37)).isEqualTo(plain);
  }
}
