package dev.turnout.outbound.vmess;

import dev.turnout.outbound.crypto.Aead;
import java.util.random.RandomGenerator;

/**
 * The keys of one VMess AEAD connection (alterId 0, TCP, option "chunk stream" only: plain 2-byte
 * chunk lengths, no masking or padding): random request body key and IV and response check byte V;
 * response key and IV are the first 16 bytes of their SHA-256. Body chunks are {@code length(2) ||
 * seal(payload)} with nonce = 2-byte big-endian count || iv[2..12]. Bytes only; see {@link
 * VmessHeader} for the headers.
 */
final class VmessSession {
  static final int AES_128_GCM = 3;
  static final int CHACHA20_POLY1305 = 4;

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
