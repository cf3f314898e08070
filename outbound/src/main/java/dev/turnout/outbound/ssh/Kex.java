package dev.turnout.outbound.ssh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.List;
import javax.crypto.KeyAgreement;

/**
 * One key exchange, client side: KEXINIT and its negotiation (RFC 4253 section 7), then
 * curve25519-sha256 (RFC 8731) and the keys it derives (section 7.2). Offers only what the JDK does
 * without a provider: X25519, AES-GCM, AES-CTR with HMAC-SHA2. A new instance per exchange; the
 * session id carries over from the first.
 */
final class Kex {
  static final int MSG_KEXINIT = 20;
  static final int MSG_NEWKEYS = 21;
  static final int MSG_KEX_ECDH_INIT = 30;
  static final int MSG_KEX_ECDH_REPLY = 31;

  static final List<String> KEX = List.of("curve25519-sha256", "curve25519-sha256@libssh.org");

  /** Host key algorithms in order of preference; {@code host-key-algorithms} narrows them. */
  static final List<String> HOST_KEY_ALGORITHMS =
      List.of(
          "ssh-ed25519",
          "ecdsa-sha2-nistp256",
          "ecdsa-sha2-nistp384",
          "ecdsa-sha2-nistp521",
          "rsa-sha2-512",
          "rsa-sha2-256");

  static final List<String> CIPHERS =
      List.of("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes256-ctr");

  static final List<String> MACS =
      List.of(
          "hmac-sha2-256-etm@openssh.com",
          "hmac-sha2-512-etm@openssh.com",
          "hmac-sha2-256",
          "hmac-sha2-512");

  /** Strict key exchange (OpenSSH 9.6's fix for the Terrapin attack), offered as a pseudo-kex. */
  private static final String STRICT_CLIENT = "kex-strict-c-v00@openssh.com";

  private static final String STRICT_SERVER = "kex-strict-s-v00@openssh.com";
  private static final byte[] X25519_SPKI =
      java.util.HexFormat.of().parseHex("302a300506032b656e032100");

  /** What both sides chose. */
  record Algorithms(
      String kex,
      String hostKey,
      String cipherOut,
      String cipherIn,
      String macOut,
      String macIn,
      boolean strict) {}

  /** The two directions' protection, ready for {@link PacketCodec}. */
  record Ciphers(PacketCipher out, PacketCipher in) {}

  private final String clientVersion;
  private final String serverVersion;
  private final List<String> hostKeyAlgorithms;
  private final boolean first;
  private byte[] clientInit;
  private byte[] serverInit;
  private Algorithms algorithms;
  private KeyPair ephemeral;
  private byte[] ephemeralPublic;

  /**
   * @param first whether this is the session's first exchange: strict key exchange is offered in
   *     the first only, and the server must honour it there
   */
  Kex(String clientVersion, String serverVersion, List<String> hostKeyAlgorithms, boolean first) {
    this.clientVersion = clientVersion;
    this.serverVersion = serverVersion;
    this.hostKeyAlgorithms = hostKeyAlgorithms;
    this.first = first;
  }

  /** Our KEXINIT payload. */
  ByteBuf clientKexInit(SecureRandom random) {
    ByteBuf b = Unpooled.buffer(512);
    b.writeByte(MSG_KEXINIT);
    byte[] cookie = new byte[16];
    random.nextBytes(cookie);
    b.writeBytes(cookie);
    List<String> kex = new java.util.ArrayList<>(KEX);
    if (first) {
      kex.add(STRICT_CLIENT);
    }
    SshWire.writeString(b, String.join(",", kex));
    SshWire.writeString(b, String.join(",", hostKeyAlgorithms));
    SshWire.writeString(b, String.join(",", CIPHERS));
    SshWire.writeString(b, String.join(",", CIPHERS));
    SshWire.writeString(b, String.join(",", MACS));
    SshWire.writeString(b, String.join(",", MACS));
    SshWire.writeString(b, "none");
    SshWire.writeString(b, "none");
    SshWire.writeString(b, "");
    SshWire.writeString(b, "");
    SshWire.writeBoolean(b, false);
    b.writeInt(0);
    clientInit = new byte[b.readableBytes()];
    b.getBytes(0, clientInit);
    return b;
  }

  /** Reads the server's KEXINIT and chooses, the client's preference first (section 7.1). */
  Algorithms serverKexInit(ByteBuf payload) throws SshException {
    serverInit = new byte[payload.readableBytes()];
    payload.getBytes(payload.readerIndex(), serverInit);
    payload.skipBytes(1 + 16);
    String[] kex = SshWire.readNameList(payload);
    String[] hostKey = SshWire.readNameList(payload);
    String[] encOut = SshWire.readNameList(payload);
    String[] encIn = SshWire.readNameList(payload);
    String[] macOut = SshWire.readNameList(payload);
    String[] macIn = SshWire.readNameList(payload);
    String[] compOut = SshWire.readNameList(payload);
    String[] compIn = SshWire.readNameList(payload);
    SshWire.readNameList(payload);
    SshWire.readNameList(payload);
    if (SshWire.readBoolean(payload)) {
      // a guessed packet follows: it could only be right for our own first choices, which a
      // server that guesses would have named first; none we met guesses
      throw new SshException("the server sends a guessed key exchange packet");
    }
    String cipherOut = choose("cipher", CIPHERS, encOut);
    String cipherIn = choose("cipher", CIPHERS, encIn);
    algorithms =
        new Algorithms(
            choose("key exchange", KEX, kex),
            choose("host key", hostKeyAlgorithms, hostKey),
            cipherOut,
            cipherIn,
            isAead(cipherOut) ? null : choose("MAC", MACS, macOut),
            isAead(cipherIn) ? null : choose("MAC", MACS, macIn),
            first && Arrays.asList(kex).contains(STRICT_SERVER));
    choose("compression", List.of("none"), compOut);
    choose("compression", List.of("none"), compIn);
    return algorithms;
  }

  /** What {@link #serverKexInit} chose; null before the server's KEXINIT. */
  Algorithms algorithms() {
    return algorithms;
  }

  private static boolean isAead(String cipher) {
    return cipher.endsWith("-gcm@openssh.com");
  }

  private static String choose(String what, List<String> ours, String[] theirs)
      throws SshException {
    for (String a : ours) {
      for (String t : theirs) {
        if (a.equals(t)) {
          return a;
        }
      }
    }
    throw new SshException(
        "no " + what + " algorithm in common: the server offers " + String.join(",", theirs));
  }

  /** KEX_ECDH_INIT with a fresh X25519 key. */
  ByteBuf ecdhInit() throws SshException {
    try {
      ephemeral = KeyPairGenerator.getInstance("X25519").generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new SshException("this Java has no X25519", e);
    }
    byte[] encoded = ephemeral.getPublic().getEncoded();
    ephemeralPublic = Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length);
    ByteBuf b = Unpooled.buffer(64);
    b.writeByte(MSG_KEX_ECDH_INIT);
    SshWire.writeString(b, ephemeralPublic);
    return b;
  }

  /** What a verified KEX_ECDH_REPLY gave: the host key, the exchange hash and the ciphers. */
  record Result(byte[] hostKey, byte[] exchangeHash, Ciphers ciphers) {}

  /**
   * Reads KEX_ECDH_REPLY: the shared secret, the exchange hash, the host key's signature on it (and
   * the pins), then the keys. {@code sessionId} is null in the first exchange (its hash becomes the
   * session id).
   */
  Result ecdhReply(ByteBuf payload, HostKeys hostKeys, byte[] sessionId) throws SshException {
    payload.skipBytes(1);
    byte[] hostKey = SshWire.readString(payload);
    byte[] serverPublic = SshWire.readString(payload);
    byte[] signature = SshWire.readString(payload);
    if (serverPublic.length != 32) {
      throw new SshException("an X25519 key of " + serverPublic.length + " bytes");
    }
    byte[] secret;
    try {
      KeyAgreement ka = KeyAgreement.getInstance("X25519");
      ka.init(ephemeral.getPrivate());
      ka.doPhase(
          KeyFactory.getInstance("X25519")
              .generatePublic(new X509EncodedKeySpec(SshKeys.concat(X25519_SPKI, serverPublic))),
          true);
      secret = ka.generateSecret();
    } catch (GeneralSecurityException e) {
      // the JDK refuses an all-zero shared secret (a small-order point), as RFC 8731 demands
      throw new SshException("X25519 with the server's key failed: " + e.getMessage(), e);
    }
    ByteBuf k = Unpooled.buffer(40);
    SshWire.writeMpint(k, new BigInteger(1, secret));
    byte[] kBytes = new byte[k.readableBytes()];
    k.readBytes(kBytes);
    ByteBuf h = Unpooled.buffer(1024);
    SshWire.writeString(h, clientVersion);
    SshWire.writeString(h, serverVersion);
    SshWire.writeString(h, clientInit);
    SshWire.writeString(h, serverInit);
    SshWire.writeString(h, hostKey);
    SshWire.writeString(h, ephemeralPublic);
    SshWire.writeString(h, serverPublic);
    h.writeBytes(kBytes);
    byte[] hash = sha256(h);
    HostKeys.verify(algorithms.hostKey(), hostKey, signature, hash);
    hostKeys.checkPinned(hostKey);
    byte[] id = sessionId != null ? sessionId : hash;
    Ciphers ciphers =
        new Ciphers(
            cipher(algorithms.cipherOut(), algorithms.macOut(), kBytes, hash, id, 'A', true),
            cipher(algorithms.cipherIn(), algorithms.macIn(), kBytes, hash, id, 'B', false));
    return new Result(hostKey, hash, ciphers);
  }

  /** One direction's cipher from keys derived with letters {@code iv}, iv + 2 and iv + 4. */
  private static PacketCipher cipher(
      String cipher, String mac, byte[] k, byte[] h, byte[] id, char iv, boolean out) {
    int keyLength = cipher.startsWith("aes256") ? 32 : 16;
    if (isAead(cipher)) {
      return new AesGcm(
          derive(k, h, id, (char) (iv + 2), keyLength), derive(k, h, id, iv, 12), out);
    }
    boolean sha512 = mac.startsWith("hmac-sha2-512");
    return new AesCtrHmac(
        derive(k, h, id, (char) (iv + 2), keyLength),
        derive(k, h, id, iv, 16),
        sha512 ? "HmacSHA512" : "HmacSHA256",
        derive(k, h, id, (char) (iv + 4), sha512 ? 64 : 32),
        mac.endsWith("-etm@openssh.com"),
        out);
  }

  /** HASH(K || H || letter || session_id), extended by HASH(K || H || K1 || ...) (section 7.2). */
  static byte[] derive(byte[] k, byte[] h, byte[] sessionId, char letter, int length) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(k);
      sha.update(h);
      sha.update((byte) letter);
      sha.update(sessionId);
      byte[] key = sha.digest();
      while (key.length < length) {
        sha.update(k);
        sha.update(h);
        sha.update(key);
        key = SshKeys.concat(key, sha.digest());
      }
      return Arrays.copyOf(key, length);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] sha256(ByteBuf b) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(b.nioBuffer());
      return sha.digest();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
