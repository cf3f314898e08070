package dev.turnout.outbound;

import dev.turnout.netbase.IpLiterals;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.UUID;
import java.util.random.RandomGenerator;
import java.util.zip.CRC32;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys and the sealed request header of one VMess AEAD connection (alterId 0, TCP, option
 * "chunk stream" only: plain 2-byte chunk lengths, no masking or padding). Builds bytes only.
 *
 * <p>Request: authID (AES-128 of time, random, CRC32 under a key derived from the user's command
 * key) || sealed header length || connection nonce || sealed header. Body chunks are {@code
 * length(2) || seal(payload)} with nonce = 2-byte big-endian count || iv[2..12]. The response
 * header and body use SHA-256 derived keys and IVs.
 */
final class VmessSession {
  static final int AES_128_GCM = 3;
  static final int CHACHA20_POLY1305 = 4;
  private static final int OPTION_CHUNK_STREAM = 0x01;

  final int security;
  final byte[] requestKey = new byte[16];
  final byte[] requestIv = new byte[16];
  final byte[] responseKey;
  final byte[] responseIv;
  final byte responseAuth;

  VmessSession(int security, RandomGenerator random) {
    this.security = security;
    random.nextBytes(requestKey);
    random.nextBytes(requestIv);
    byte[] v = new byte[1];
    random.nextBytes(v);
    responseAuth = v[0];
    responseKey = java.util.Arrays.copyOf(VmessKdf.sha256(requestKey), 16);
    responseIv = java.util.Arrays.copyOf(VmessKdf.sha256(requestIv), 16);
  }

  static byte[] commandKey(UUID id) {
    ByteBuffer b = ByteBuffer.allocate(16);
    b.putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
    return VmessKdf.md5(
        VmessKdf.concat(b.array(), VmessKdf.bytes("c48619fe-8f02-49e0-b9e9-edf763e17e21")));
  }

  /** The plaintext header: version, body IV and key, V, options, security, command, target, FNV. */
  byte[] header(Destination d, RandomGenerator random) {
    ByteBuf h = Unpooled.buffer(64);
    h.writeByte(1).writeBytes(requestIv).writeBytes(requestKey).writeByte(responseAuth);
    h.writeByte(OPTION_CHUNK_STREAM);
    int padding = random.nextInt(16);
    h.writeByte(padding << 4 | security).writeByte(0).writeByte(1);
    h.writeShort(d.port());
    InetAddress literal = d.host() != null ? IpLiterals.parseHostOrNull(d.host()) : d.address();
    if (d.host() != null && literal == null) {
      byte[] name = d.host().getBytes(StandardCharsets.US_ASCII);
      h.writeByte(2).writeByte(name.length).writeBytes(name);
    } else {
      h.writeByte(literal instanceof Inet4Address ? 1 : 3).writeBytes(literal.getAddress());
    }
    byte[] pad = new byte[padding];
    random.nextBytes(pad);
    h.writeBytes(pad);
    h.writeInt(fnv1a32(h.array(), h.arrayOffset(), h.readableBytes()));
    byte[] out = new byte[h.readableBytes()];
    h.readBytes(out);
    return out;
  }

  static int fnv1a32(byte[] data, int offset, int length) {
    int hash = 0x811c9dc5;
    for (int i = offset; i < offset + length; i++) {
      hash ^= data[i] & 0xff;
      hash *= 0x01000193;
    }
    return hash;
  }

  /** Seals {@code header} for the user with {@code cmdKey} at {@code unixSeconds}. */
  static byte[] seal(byte[] cmdKey, byte[] header, long unixSeconds, RandomGenerator random) {
    byte[] authId = authId(cmdKey, unixSeconds, random);
    byte[] nonce = new byte[8];
    random.nextBytes(nonce);
    byte[] length = {(byte) (header.length >>> 8), (byte) header.length};
    byte[] sealedLength =
        gcm(
            Cipher.ENCRYPT_MODE,
            VmessKdf.kdf16(cmdKey, VmessKdf.bytes("VMess Header AEAD Key_Length"), authId, nonce),
            VmessKdf.kdf12(cmdKey, VmessKdf.bytes("VMess Header AEAD Nonce_Length"), authId, nonce),
            length,
            authId);
    byte[] sealedHeader =
        gcm(
            Cipher.ENCRYPT_MODE,
            VmessKdf.kdf16(cmdKey, VmessKdf.bytes("VMess Header AEAD Key"), authId, nonce),
            VmessKdf.kdf12(cmdKey, VmessKdf.bytes("VMess Header AEAD Nonce"), authId, nonce),
            header,
            authId);
    return VmessKdf.concat(authId, sealedLength, nonce, sealedHeader);
  }

  static byte[] authId(byte[] cmdKey, long unixSeconds, RandomGenerator random) {
    ByteBuffer plain = ByteBuffer.allocate(16);
    plain.putLong(unixSeconds);
    byte[] r = new byte[4];
    random.nextBytes(r);
    plain.put(r);
    CRC32 crc = new CRC32();
    crc.update(plain.array(), 0, 12);
    plain.putInt((int) crc.getValue());
    try {
      Cipher aes = Cipher.getInstance("AES/ECB/NoPadding");
      aes.init(
          Cipher.ENCRYPT_MODE,
          new SecretKeySpec(
              VmessKdf.kdf16(cmdKey, VmessKdf.bytes("AES Auth ID Encryption")), "AES"));
      return aes.doFinal(plain.array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] gcm(int mode, byte[] key, byte[] nonce, byte[] data, byte[] aad) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          mode, new SecretKeySpec(key, "AES"), new javax.crypto.spec.GCMParameterSpec(128, nonce));
      if (aad != null) {
        c.updateAAD(aad);
      }
      return c.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The body cipher for a direction with {@code key}; ChaCha20 stretches the key with MD5. */
  Aead bodyCipher(byte[] key) {
    if (security == CHACHA20_POLY1305) {
      byte[] first = VmessKdf.md5(key);
      byte[] full = VmessKdf.concat(first, VmessKdf.md5(first));
      return new Aead("ChaCha20-Poly1305", "ChaCha20", full);
    }
    return new Aead("AES/GCM/NoPadding", "AES", key);
  }

  /** Nonce for chunk {@code count}: count as 2 bytes big-endian, then iv[2..12]. */
  static byte[] chunkNonce(byte[] iv, int count) {
    byte[] n = java.util.Arrays.copyOf(iv, 12);
    n[0] = (byte) (count >>> 8);
    n[1] = (byte) count;
    return n;
  }
}
