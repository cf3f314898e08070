package dev.turnout.outbound.wireguard;

import java.nio.charset.StandardCharsets;

/**
 * One side's view of a WireGuard peering: our key pair, the peer's public key, the pre-shared key
 * (zeros when none), and what the handshake precomputes from them (paper section 5.4.2: the initial
 * chaining key and hash, the mac1 and cookie keys). Immutable.
 */
final class StaticKeys {
  private static final byte[] CONSTRUCTION =
      "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] IDENTIFIER =
      "WireGuard v1 zx2c4 Jason@zx2c4.com".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LABEL_MAC1 = "mac1----".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LABEL_COOKIE = "cookie--".getBytes(StandardCharsets.US_ASCII);

  final byte[] privateKey;
  final byte[] publicKey;
  final byte[] peerPublicKey;
  final byte[] presharedKey;
  final byte[] initialChainKey;
  final byte[] initialHash;

  /** MAC1 key for messages we send (the peer's) and for those we receive (ours). */
  final byte[] peerMac1Key;

  final byte[] ownMac1Key;
  final byte[] peerCookieKey;

  StaticKeys(byte[] privateKey, byte[] peerPublicKey, byte[] presharedKey) {
    if (privateKey.length != Noise.KEY || peerPublicKey.length != Noise.KEY) {
      throw new IllegalArgumentException("WireGuard keys are 32 bytes");
    }
    this.privateKey = privateKey.clone();
    this.publicKey = Noise.publicKey(privateKey);
    this.peerPublicKey = peerPublicKey.clone();
    this.presharedKey = presharedKey == null ? new byte[Noise.KEY] : presharedKey.clone();
    if (this.presharedKey.length != Noise.KEY) {
      throw new IllegalArgumentException("the pre-shared key is 32 bytes");
    }
    this.initialChainKey = Noise.hash(CONSTRUCTION);
    this.initialHash = Noise.hash(Noise.hash(initialChainKey, IDENTIFIER), peerPublicKey);
    this.peerMac1Key = Noise.hash(LABEL_MAC1, peerPublicKey);
    this.ownMac1Key = Noise.hash(LABEL_MAC1, publicKey);
    this.peerCookieKey = Noise.hash(LABEL_COOKIE, peerPublicKey);
  }
}
