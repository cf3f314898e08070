package dev.turnout.outbound.ssh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.List;

/**
 * The server's host key: its signature on the exchange hash proves the server holds the key, and
 * the keys the configuration pins ({@code host-key}) say whether it is the right one. With no pin,
 * any key is accepted, as mihomo and sing-box do; the session logs its fingerprint once.
 */
final class HostKeys {
  private final List<byte[]> pinned;

  /** {@code pinned}: key blobs as in {@code authorized_keys}; empty accepts any key. */
  HostKeys(List<byte[]> pinned) {
    this.pinned = List.copyOf(pinned);
  }

  boolean pins() {
    return !pinned.isEmpty();
  }

  /** Throws unless a pinned key is {@code blob}, when keys are pinned. */
  void checkPinned(byte[] blob) throws SshException {
    if (pinned.isEmpty()) {
      return;
    }
    for (byte[] p : pinned) {
      if (MessageDigest.isEqual(p, blob)) {
        return;
      }
    }
    throw new SshException("the server's host key " + fingerprint(blob) + " is not in host-key");
  }

  /** OpenSSH's fingerprint: SHA256, then the unpadded Base64 of the key blob's digest. */
  static String fingerprint(byte[] blob) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(blob);
      return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(d);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The type a key blob names in its first field, or null when it is not a key blob. */
  static String typeOf(byte[] blob) {
    try {
      return SshWire.readUtf8(Unpooled.wrappedBuffer(blob));
    } catch (SshException e) {
      return null;
    }
  }

  /**
   * Checks that {@code signature} (an SSH signature blob) by the key {@code blob} signs {@code
   * data}, with the negotiated host key {@code algorithm}.
   */
  static void verify(String algorithm, byte[] blob, byte[] signature, byte[] data)
      throws SshException {
    ByteBuf key = Unpooled.wrappedBuffer(blob);
    ByteBuf sig = Unpooled.wrappedBuffer(signature);
    String keyType = SshWire.readUtf8(key);
    String sigType = SshWire.readUtf8(sig);
    byte[] sigBytes = SshWire.readString(sig);
    if (!sigType.equals(algorithm)) {
      throw new SshException("the server signed with " + sigType + ", not " + algorithm);
    }
    boolean ok;
    try {
      ok = check(algorithm, keyType, key, sigBytes, data);
    } catch (GeneralSecurityException e) {
      throw new SshException("the server's host key: " + e.getMessage(), e);
    }
    if (!ok) {
      throw new SshException("the server's host key signature does not verify");
    }
  }

  private static boolean check(
      String algorithm, String keyType, ByteBuf key, byte[] sigBytes, byte[] data)
      throws GeneralSecurityException, SshException {
    PublicKey pk;
    Signature s;
    byte[] signed = sigBytes;
    if (algorithm.equals("ssh-ed25519") && keyType.equals(algorithm)) {
      pk = SshKeys.ed25519Public(SshWire.readString(key));
      s = Signature.getInstance("Ed25519");
    } else if (algorithm.startsWith("rsa-sha2-") && keyType.equals("ssh-rsa")) {
      BigInteger e = SshWire.readMpint(key);
      BigInteger n = SshWire.readMpint(key);
      pk = SshKeys.rsaPublic(e, n);
      s = Signature.getInstance(algorithm.endsWith("512") ? "SHA512withRSA" : "SHA256withRSA");
    } else if (algorithm.startsWith("ecdsa-sha2-") && keyType.equals(algorithm)) {
      String curve = SshWire.readUtf8(key);
      if (!algorithm.equals("ecdsa-sha2-" + curve)) {
        throw new GeneralSecurityException("an ECDSA key on " + curve + " for " + algorithm);
      }
      pk = SshKeys.ecPublic(curve, SshWire.readString(key));
      ByteBuf rs = Unpooled.wrappedBuffer(sigBytes);
      int size = SshKeys.fieldBytes(curve);
      signed =
          SshKeys.concat(
              SshKeys.fixed(SshWire.readMpint(rs), size),
              SshKeys.fixed(SshWire.readMpint(rs), size));
      s = Signature.getInstance(SshKeys.ecdsaHash(curve) + "withECDSAinP1363Format");
    } else {
      throw new GeneralSecurityException("a " + keyType + " key for " + algorithm);
    }
    s.initVerify(pk);
    s.update(data);
    return s.verify(signed);
  }
}
