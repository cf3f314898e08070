package dev.turnout.outbound.vmess;

import dev.turnout.outbound.crypto.Aead;
import dev.turnout.outbound.crypto.Shake128;
import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * The keys and options of one VMess connection: random request body key and IV and response check
 * byte V; the response key and IV are the first 16 bytes of their SHA-256 (AEAD header) or their
 * MD5 (legacy header, {@code alterId > 0}). Options: chunk stream (framed body), chunk masking
 * (lengths XORed with SHAKE128 of the IV) and global padding (0-63 random bytes after each chunk,
 * lengths from the same stream). Body chunks are {@code length(2) || seal(payload) || padding} with
 * nonce = 2-byte big-endian count || iv[2..12]; security NONE leaves the payload as it is. Bytes
 * only; see {@link VmessHeader} for the headers.
 */
final class VmessSession {
  static final int AES_128_GCM = 3;
  static final int CHACHA20_POLY1305 = 4;
  static final int NONE = 5;

  static final int OPTION_CHUNK_STREAM = 0x01;

  /** Connection reuse: legacy, meaningless with AEAD headers; accepted and ignored. */
  static final int OPTION_CONNECTION_REUSE = 0x02;

  static final int OPTION_CHUNK_MASKING = 0x04;
  static final int OPTION_GLOBAL_PADDING = 0x08;

  final int security;
  final int options;
  final boolean legacy;
  final byte[] requestKey = new byte[16];
  final byte[] requestIv = new byte[16];
  final byte[] responseKey;
  final byte[] responseIv;
  final byte responseAuth;

  /** An AEAD-header session with the chunk stream option only. */
  VmessSession(int security, RandomGenerator random) {
    this(security, OPTION_CHUNK_STREAM, false, random);
  }

  VmessSession(int security, int options, boolean legacy, RandomGenerator random) {
    this.security = security;
    this.options = options;
    this.legacy = legacy;
    random.nextBytes(requestKey);
    random.nextBytes(requestIv);
    byte[] v = new byte[1];
    random.nextBytes(v);
    responseAuth = v[0];
    if (legacy) {
      responseKey = VmessKdf.md5(requestKey);
      responseIv = VmessKdf.md5(requestIv);
    } else {
      responseKey = Arrays.copyOf(VmessKdf.sha256(requestKey), 16);
      responseIv = Arrays.copyOf(VmessKdf.sha256(requestIv), 16);
    }
  }

  /**
   * The session a client's AEAD request header describes, as its server keeps it: the client's body
   * key and IV, V, options and security.
   */
  VmessSession(int security, int options, byte[] requestKey, byte[] requestIv, byte responseAuth) {
    this.security = security;
    this.options = options;
    this.legacy = false;
    System.arraycopy(requestKey, 0, this.requestKey, 0, 16);
    System.arraycopy(requestIv, 0, this.requestIv, 0, 16);
    this.responseAuth = responseAuth;
    responseKey = Arrays.copyOf(VmessKdf.sha256(requestKey), 16);
    responseIv = Arrays.copyOf(VmessKdf.sha256(requestIv), 16);
  }

  boolean has(int option) {
    return (options & option) != 0;
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

  /** The request direction of the body. */
  VmessBody requestBody() {
    return body(requestKey, requestIv);
  }

  /** The response direction of the body. */
  VmessBody responseBody() {
    return body(responseKey, responseIv);
  }

  private VmessBody body(byte[] key, byte[] iv) {
    Shake128 shake = has(OPTION_CHUNK_MASKING) ? new Shake128(iv) : null;
    return new VmessBody(
        security == NONE ? null : bodyCipher(key), iv, shake, has(OPTION_GLOBAL_PADDING));
  }

  /** Nonce for chunk {@code count}: count as 2 bytes big-endian, then iv[2..12]. */
  static byte[] chunkNonce(byte[] iv, int count) {
    byte[] n = Arrays.copyOf(iv, 12);
    n[0] = (byte) (count >>> 8);
    n[1] = (byte) count;
    return n;
  }
}
