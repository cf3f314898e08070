package dev.turnout.outbound.wireguard;

import dev.turnout.outbound.crypto.HChaCha20;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The initiator's half of Noise_IKpsk2 as WireGuard runs it (paper section 5.4.2 to 5.4.7): builds
 * a handshake initiation, checks the responder's reply against it and derives the transport keys;
 * takes in cookie replies so the next initiation carries mac2. Bytes in, bytes out: no sockets, no
 * clock and no randomness of its own (the caller passes the ephemeral key, the timestamp and the
 * time). Holds at most one initiation in flight; a new one replaces it. Not thread-safe.
 */
final class Handshake {
  /** How long a cookie from a cookie reply is used for mac2 (paper section 5.4.7). */
  static final long COOKIE_NANOS = 120_000_000_000L;

  private final StaticKeys keys;
  private final byte[] reserved;

  // The initiation in flight: null chainKey when none.
  private byte[] chainKey;
  private byte[] hash;
  private byte[] ephemeralPrivate;
  private int localIndex;
  private byte[] lastMac1;

  private byte[] cookie;
  private long cookieNanos;

  Handshake(StaticKeys keys, byte[] reserved) {
    this.keys = keys;
    this.reserved = reserved.clone();
  }

  /**
   * A new initiation (148 bytes) from sender index {@code localIndex}, with the ephemeral private
   * key {@code ephemeral} and the TAI64N {@code timestamp} (12 bytes), at monotonic time {@code
   * nowNanos} (for the cookie's age).
   */
  byte[] initiation(int localIndex, byte[] ephemeral, byte[] timestamp, long nowNanos) {
    byte[] msg = new byte[Messages.INITIATION_SIZE];
    Messages.head(msg, Messages.INITIATION, reserved);
    Messages.putIntLE(msg, 4, localIndex);
    byte[] c = keys.initialChainKey;
    byte[] h = keys.initialHash;
    byte[] ephemeralPublic = Noise.publicKey(ephemeral);
    System.arraycopy(ephemeralPublic, 0, msg, Messages.INIT_EPHEMERAL, Noise.KEY);
    c = Noise.kdf(1, c, ephemeralPublic)[0];
    h = Noise.hash(h, ephemeralPublic);
    byte[] es = Noise.dh(ephemeral, keys.peerPublicKey);
    if (es == null) {
      throw new IllegalStateException("the peer's public key is a low-order point");
    }
    byte[][] ck = Noise.kdf(2, c, es);
    c = ck[0];
    byte[] sealedStatic = Noise.seal(ck[1], 0, keys.publicKey, h);
    System.arraycopy(sealedStatic, 0, msg, Messages.INIT_STATIC, sealedStatic.length);
    h = Noise.hash(h, sealedStatic);
    ck = Noise.kdf(2, c, Noise.dh(keys.privateKey, keys.peerPublicKey));
    c = ck[0];
    byte[] sealedTime = Noise.seal(ck[1], 0, timestamp, h);
    System.arraycopy(sealedTime, 0, msg, Messages.INIT_TIMESTAMP, sealedTime.length);
    h = Noise.hash(h, sealedTime);
    byte[] mac1 = Noise.mac(keys.peerMac1Key, msg, Messages.INIT_MAC1);
    System.arraycopy(mac1, 0, msg, Messages.INIT_MAC1, 16);
    if (cookie != null && nowNanos - cookieNanos < COOKIE_NANOS) {
      System.arraycopy(Noise.mac(cookie, msg, Messages.INIT_MAC2), 0, msg, Messages.INIT_MAC2, 16);
    }
    this.chainKey = c;
    this.hash = h;
    this.ephemeralPrivate = ephemeral.clone();
    this.localIndex = localIndex;
    this.lastMac1 = mac1;
    return msg;
  }

  /** True while an initiation waits for its response. */
  boolean pending() {
    return chainKey != null;
  }

  int localIndex() {
    return localIndex;
  }

  /** Forgets the initiation in flight (given up, or answered). */
  void abandon() {
    chainKey = null;
    hash = null;
    ephemeralPrivate = null;
  }

  /**
   * Checks a response (92 bytes) against the initiation in flight. On success returns the transport
   * keys (sending key first) with the responder's index, and forgets the initiation; returns null,
   * changing nothing, when the response is not for it or does not authenticate.
   */
  Keys response(byte[] msg, int offset) {
    if (chainKey == null) {
      return null;
    }
    byte[] m = Arrays.copyOfRange(msg, offset, offset + Messages.RESPONSE_SIZE);
    if (Messages.getIntLE(m, Messages.RESP_RECEIVER) != localIndex) {
      return null;
    }
    byte[] mac1 = Noise.mac(keys.ownMac1Key, m, Messages.RESP_MAC1);
    if (!MessageDigest.isEqual(
        mac1, Arrays.copyOfRange(m, Messages.RESP_MAC1, Messages.RESP_MAC1 + 16))) {
      return null;
    }
    byte[] ephemeralPublic =
        Arrays.copyOfRange(m, Messages.RESP_EPHEMERAL, Messages.RESP_EPHEMERAL + Noise.KEY);
    byte[] c = Noise.kdf(1, chainKey, ephemeralPublic)[0];
    byte[] h = Noise.hash(hash, ephemeralPublic);
    byte[] ee = Noise.dh(ephemeralPrivate, ephemeralPublic);
    byte[] se = Noise.dh(keys.privateKey, ephemeralPublic);
    if (ee == null || se == null) {
      return null;
    }
    c = Noise.kdf(1, c, ee)[0];
    c = Noise.kdf(1, c, se)[0];
    byte[][] ctk = Noise.kdf(3, c, keys.presharedKey);
    c = ctk[0];
    h = Noise.hash(h, ctk[1]);
    byte[] sealedEmpty = Arrays.copyOfRange(m, Messages.RESP_EMPTY, Messages.RESP_EMPTY + 16);
    if (Noise.open(ctk[2], 0, sealedEmpty, h) == null) {
      return null;
    }
    byte[][] transport = Noise.kdf(2, c, new byte[0]);
    abandon();
    return new Keys(transport[0], transport[1], Messages.getIntLE(m, 4));
  }

  /**
   * Takes in a cookie reply (64 bytes) to the initiation in flight: its cookie makes mac2 of the
   * next initiations. False when it is not for that initiation or does not authenticate.
   */
  boolean cookieReply(byte[] msg, int offset, long nowNanos) {
    if (lastMac1 == null || Messages.getIntLE(msg, offset + 4) != localIndex) {
      return false;
    }
    byte[] nonce = Arrays.copyOfRange(msg, offset + Messages.COOKIE_NONCE, offset + 32);
    byte[] sealed = Arrays.copyOfRange(msg, offset + Messages.COOKIE_SEALED, offset + 64);
    // XChaCha20-Poly1305: HChaCha20 subkey from the first 16 nonce bytes, the last 8 the counter.
    byte[] subkey = HChaCha20.subkey(keys.peerCookieKey, Arrays.copyOf(nonce, 16));
    long counter = 0;
    for (int i = 7; i >= 0; i--) {
      counter = counter << 8 | (nonce[16 + i] & 0xff);
    }
    byte[] opened = Noise.open(subkey, counter, sealed, lastMac1);
    if (opened == null) {
      return false;
    }
    cookie = opened;
    cookieNanos = nowNanos;
    return true;
  }

  /** Transport keys from a completed handshake, and the peer's index for them. */
  record Keys(byte[] send, byte[] receive, int remoteIndex) {}

  /** TAI64N of a wall-clock time, nanoseconds whitened as wireguard-go does (2^24 ns steps). */
  static byte[] timestamp(long epochSeconds, int nanos) {
    byte[] t = new byte[12];
    long seconds = 0x400000000000000aL + epochSeconds;
    int whitened = nanos & ~0xffffff;
    for (int i = 0; i < 8; i++) {
      t[i] = (byte) (seconds >>> (56 - 8 * i));
    }
    for (int i = 0; i < 4; i++) {
      t[8 + i] = (byte) (whitened >>> (24 - 8 * i));
    }
    return t;
  }
}
