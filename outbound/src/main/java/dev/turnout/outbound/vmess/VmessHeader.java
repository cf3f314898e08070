package dev.turnout.outbound.vmess;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.crypto.Aead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.UUID;
import java.util.random.RandomGenerator;
import java.util.zip.CRC32;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The VMess AEAD headers of one connection, as bytes. Request: the plaintext (version, body IV and
 * key, V, option "chunk stream", padding and security, command TCP, port, address, padding, FNV-1a)
 * sealed for the user as {@code authID || seal(length) || nonce || seal(header)}, where authID is
 * AES-128 of (time, random, CRC32) under a key derived from the user's command key. Response:
 * {@code seal(length) || seal(header)} under keys derived from the session's response key and IV;
 * its first byte must echo V. All seals are AES-128-GCM with KDF-derived keys and nonces.
 */
final class VmessHeader {
  /** Bytes of the sealed length in front of the response header. */
  static final int SEALED_LENGTH = 2 + Aead.TAG;

  static final int COMMAND_TCP = 1;
  static final int COMMAND_UDP = 2;

  private VmessHeader() {}

  /** The user's command key: MD5 of the UUID's 16 bytes and a fixed string. */
  static byte[] commandKey(UUID id) {
    ByteBuffer b = ByteBuffer.allocate(16);
    b.putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
    return VmessKdf.md5(
        VmessKdf.concat(b.array(), VmessKdf.bytes("c48619fe-8f02-49e0-b9e9-edf763e17e21")));
  }

  /** The plaintext request header of {@code session} to {@code d}. */
  static byte[] request(VmessSession session, Destination d, RandomGenerator random) {
    return request(session, d, COMMAND_TCP, random);
  }

  /** The plaintext request header for {@code command} (TCP or UDP) to {@code d}. */
  static byte[] request(VmessSession session, Destination d, int command, RandomGenerator random) {
    byte[] name = d.nameBytes(); // a name no request carries throws before anything is made
    ByteBuf h = Unpooled.buffer(64);
    h.writeByte(1).writeBytes(session.requestIv).writeBytes(session.requestKey);
    h.writeByte(session.responseAuth).writeByte(session.options);
    int padding = random.nextInt(16);
    h.writeByte(padding << 4 | session.security).writeByte(0).writeByte(command);
    h.writeShort(d.port());
    if (name != null) {
      h.writeByte(2).writeByte(name.length).writeBytes(name);
    } else {
      InetAddress literal = d.literal();
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
            cmdKey,
            "VMess Header AEAD Key_Length",
            cmdKey,
            "VMess Header AEAD Nonce_Length",
            length,
            authId,
            authId,
            nonce);
    byte[] sealedHeader =
        gcm(
            Cipher.ENCRYPT_MODE,
            cmdKey,
            "VMess Header AEAD Key",
            cmdKey,
            "VMess Header AEAD Nonce",
            header,
            authId,
            authId,
            nonce);
    return VmessKdf.concat(authId, sealedLength, nonce, sealedHeader);
  }

  /**
   * Seals {@code header} the legacy way ({@code alterId > 0}): {@code HMAC-MD5(uuid, time) ||
   * AES-128-CFB(key = command key, iv = MD5(time x 4), header)}, time as 8 bytes big-endian.
   */
  static byte[] sealLegacy(UUID id, byte[] cmdKey, byte[] header, long unixSeconds) {
    byte[] time = ByteBuffer.allocate(8).putLong(unixSeconds).array();
    ByteBuffer uuid = ByteBuffer.allocate(16);
    uuid.putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
    try {
      javax.crypto.Mac hmac = javax.crypto.Mac.getInstance("HmacMD5");
      hmac.init(new SecretKeySpec(uuid.array(), "HmacMD5"));
      byte[] auth = hmac.doFinal(time);
      Cipher cfb = Cipher.getInstance("AES/CFB/NoPadding");
      cfb.init(
          Cipher.ENCRYPT_MODE,
          new SecretKeySpec(cmdKey, "AES"),
          new javax.crypto.spec.IvParameterSpec(
              VmessKdf.md5(VmessKdf.concat(time, time, time, time))));
      return VmessKdf.concat(auth, cfb.doFinal(header));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
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
      aes.init(Cipher.ENCRYPT_MODE, authIdKey(cmdKey));
      return aes.doFinal(plain.array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The time in the authID of a request, if it is sealed for the user whose command key gave {@code
   * authKey} ({@link #authIdKey}); else -1 (its CRC does not match: another user's).
   */
  static long authIdTime(SecretKeySpec authKey, byte[] authId) {
    byte[] plain;
    try {
      Cipher aes = Cipher.getInstance("AES/ECB/NoPadding");
      aes.init(Cipher.DECRYPT_MODE, authKey);
      plain = aes.doFinal(authId);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    CRC32 crc = new CRC32();
    crc.update(plain, 0, 12);
    ByteBuffer b = ByteBuffer.wrap(plain);
    long time = b.getLong(0);
    return b.getInt(12) == (int) crc.getValue() && time >= 0 ? time : -1;
  }

  /**
   * The AES key of the authIDs of the user with {@code cmdKey}, which the client seals and the
   * server opens with: derived once per user (a server keeps it), not per connection.
   */
  static SecretKeySpec authIdKey(byte[] cmdKey) {
    return new SecretKeySpec(
        VmessKdf.kdf16(cmdKey, VmessKdf.bytes("AES Auth ID Encryption")), "AES");
  }

  /**
   * The length of a request header from its sealed length (18 bytes), for the server.
   *
   * @throws IllegalStateException when they do not authenticate
   */
  static int requestLength(byte[] cmdKey, byte[] authId, byte[] nonce, byte[] sealed) {
    byte[] length =
        gcm(
            Cipher.DECRYPT_MODE,
            cmdKey,
            "VMess Header AEAD Key_Length",
            cmdKey,
            "VMess Header AEAD Nonce_Length",
            sealed,
            authId,
            authId,
            nonce);
    return (length[0] & 0xff) << 8 | (length[1] & 0xff);
  }

  /**
   * The plaintext request header from its sealed bytes (length plus tag), for the server.
   *
   * @throws IllegalStateException when they do not authenticate
   */
  static byte[] openRequest(byte[] cmdKey, byte[] authId, byte[] nonce, byte[] sealed) {
    return gcm(
        Cipher.DECRYPT_MODE,
        cmdKey,
        "VMess Header AEAD Key",
        cmdKey,
        "VMess Header AEAD Nonce",
        sealed,
        authId,
        authId,
        nonce);
  }

  /** The sealed response header of {@code session} (V, no options, no command), for the server. */
  static byte[] sealResponse(VmessSession session) {
    byte[] header = {session.responseAuth, 0, 0, 0};
    byte[] length = {0, (byte) header.length};
    return VmessKdf.concat(
        gcm(
            Cipher.ENCRYPT_MODE,
            session.responseKey,
            "AEAD Resp Header Len Key",
            session.responseIv,
            "AEAD Resp Header Len IV",
            length,
            null),
        gcm(
            Cipher.ENCRYPT_MODE,
            session.responseKey,
            "AEAD Resp Header Key",
            session.responseIv,
            "AEAD Resp Header IV",
            header,
            null));
  }

  /**
   * The length of the response header from its {@value #SEALED_LENGTH} sealed bytes.
   *
   * @throws IllegalStateException when they do not authenticate
   */
  static int responseLength(VmessSession session, byte[] sealed) {
    byte[] len =
        gcm(
            Cipher.DECRYPT_MODE,
            session.responseKey,
            "AEAD Resp Header Len Key",
            session.responseIv,
            "AEAD Resp Header Len IV",
            sealed,
            null);
    return (len[0] & 0xff) << 8 | (len[1] & 0xff);
  }

  /**
   * The plaintext response header from its sealed bytes (length plus tag).
   *
   * @throws IllegalStateException when they do not authenticate
   */
  static byte[] response(VmessSession session, byte[] sealed) {
    return gcm(
        Cipher.DECRYPT_MODE,
        session.responseKey,
        "AEAD Resp Header Key",
        session.responseIv,
        "AEAD Resp Header IV",
        sealed,
        null);
  }

  /**
   * AES-128-GCM of {@code data} with the key derived from {@code keySecret} along {@code keyLabel}
   * then {@code context}, and the nonce derived likewise; {@code aad} may be null.
   */
  private static byte[] gcm(
      int mode,
      byte[] keySecret,
      String keyLabel,
      byte[] nonceSecret,
      String nonceLabel,
      byte[] data,
      byte[] aad,
      byte[]... context) {
    byte[] key = VmessKdf.kdf16(keySecret, path(keyLabel, context));
    byte[] nonce = VmessKdf.kdf12(nonceSecret, path(nonceLabel, context));
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
      if (aad != null) {
        c.updateAAD(aad);
      }
      return c.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[][] path(String label, byte[][] context) {
    byte[][] path = new byte[context.length + 1][];
    path[0] = VmessKdf.bytes(label);
    System.arraycopy(context, 0, path, 1, context.length);
    return path;
  }
}
