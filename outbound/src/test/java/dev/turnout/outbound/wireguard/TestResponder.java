package dev.turnout.outbound.wireguard;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/**
 * The responder's half of the handshake (paper sections 5.4.2 to 5.4.5), written apart from the
 * initiator's code from the paper's equations, as a fake peer for the tunnel's tests: answers an
 * initiation and then seals and opens transport messages with the keys it derived.
 */
final class TestResponder {
  private static final byte[] CONSTRUCTION =
      "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] IDENTIFIER =
      "WireGuard v1 zx2c4 Jason@zx2c4.com".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LABEL_MAC1 = "mac1----".getBytes(StandardCharsets.US_ASCII);

  final byte[] privateKey;
  final byte[] publicKey;
  private final byte[] psk;
  private final Random random;
  byte[] initiatorStatic;
  byte[] lastTimestamp;
  Keypair keys;
  int initiations;

  TestResponder(byte[] privateKey, byte[] psk, Random random) {
    this.privateKey = privateKey;
    this.publicKey = Noise.publicKey(privateKey);
    this.psk = psk == null ? new byte[32] : psk;
    this.random = random;
  }

  /** The response to an initiation, or null when it does not check out. */
  ByteBuf respond(ByteBuf initiation) {
    byte[] m = new byte[initiation.readableBytes()];
    initiation.getBytes(initiation.readerIndex(), m);
    if (m.length != 148 || m[0] != 1) {
      return null;
    }
    byte[] mac1 = Noise.mac(Noise.hash(LABEL_MAC1, publicKey), m, 116);
    if (!Arrays.equals(mac1, Arrays.copyOfRange(m, 116, 132))) {
      return null;
    }
    initiations++;
    byte[] c = Noise.hash(CONSTRUCTION);
    byte[] h = Noise.hash(Noise.hash(c, IDENTIFIER), publicKey);
    byte[] ei = Arrays.copyOfRange(m, 8, 40);
    c = Noise.kdf(1, c, ei)[0];
    h = Noise.hash(h, ei);
    byte[][] ck = Noise.kdf(2, c, Noise.dh(privateKey, ei));
    c = ck[0];
    byte[] sealedStatic = Arrays.copyOfRange(m, 40, 88);
    initiatorStatic = Noise.open(ck[1], 0, sealedStatic, h);
    h = Noise.hash(h, sealedStatic);
    ck = Noise.kdf(2, c, Noise.dh(privateKey, initiatorStatic));
    c = ck[0];
    byte[] sealedTime = Arrays.copyOfRange(m, 88, 116);
    lastTimestamp = Noise.open(ck[1], 0, sealedTime, h);
    h = Noise.hash(h, sealedTime);
    int initiatorIndex = Messages.getIntLE(m, 4);

    byte[] r = new byte[92];
    r[0] = 2;
    int localIndex = random.nextInt();
    Messages.putIntLE(r, 4, localIndex);
    Messages.putIntLE(r, 8, initiatorIndex);
    byte[] er = new byte[32];
    random.nextBytes(er);
    byte[] erPublic = Noise.publicKey(er);
    System.arraycopy(erPublic, 0, r, 12, 32);
    c = Noise.kdf(1, c, erPublic)[0];
    h = Noise.hash(h, erPublic);
    c = Noise.kdf(1, c, Noise.dh(er, ei))[0];
    c = Noise.kdf(1, c, Noise.dh(er, initiatorStatic))[0];
    byte[][] ctk = Noise.kdf(3, c, psk);
    c = ctk[0];
    h = Noise.hash(h, ctk[1]);
    byte[] empty = Noise.seal(ctk[2], 0, new byte[0], h);
    System.arraycopy(empty, 0, r, 44, 16);
    byte[] rmac1 = Noise.mac(Noise.hash(LABEL_MAC1, initiatorStatic), r, 60);
    System.arraycopy(rmac1, 0, r, 60, 16);
    byte[][] t = Noise.kdf(2, c, new byte[0]);
    // The responder receives with the first key and sends with the second.
    keys = new Keypair(new Handshake.Keys(t[1], t[0], initiatorIndex), localIndex, 0);
    return Unpooled.wrappedBuffer(r);
  }

  /** A transport message carrying {@code packet}. */
  ByteBuf seal(byte[] packet) {
    ByteBuf out = Unpooled.buffer();
    keys.seal(Unpooled.wrappedBuffer(packet), packet.length, out, new byte[3]);
    return out;
  }

  /** The plaintext of a transport message (padding included), or null. */
  byte[] open(ByteBuf message) {
    ByteBuf out = Unpooled.buffer();
    if (!keys.open(message, out)) {
      return null;
    }
    byte[] b = new byte[out.readableBytes()];
    out.readBytes(b);
    return b;
  }
}
