package dev.turnout.outbound.ssh;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code aes128-ctr} or {@code aes256-ctr} with {@code hmac-sha2-256} or {@code hmac-sha2-512},
 * MAC-then-encrypt as RFC 4253 has it or encrypt-then-MAC ({@code -etm@openssh.com}, the length
 * then in the clear): what servers without AES-GCM (Dropbear) speak. The MAC covers the sequence
 * number and the packet, and is compared in constant time.
 */
final class AesCtrHmac implements PacketCipher {
  private final Cipher cipher;
  private final Mac mac;
  private final boolean etm;

  AesCtrHmac(
      byte[] key, byte[] iv, String macAlgorithm, byte[] macKey, boolean etm, boolean encrypt) {
    try {
      cipher = Cipher.getInstance("AES/CTR/NoPadding");
      cipher.init(
          encrypt ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE,
          new SecretKeySpec(key, "AES"),
          new IvParameterSpec(java.util.Arrays.copyOf(iv, 16)));
      mac = Mac.getInstance(macAlgorithm);
      mac.init(new SecretKeySpec(macKey, macAlgorithm));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this Java lacks AES-CTR or " + macAlgorithm, e);
    }
    this.etm = etm;
  }

  @Override
  public int blockSize() {
    return 16;
  }

  @Override
  public boolean lengthInClear() {
    return etm;
  }

  @Override
  public int tagLength() {
    return mac.getMacLength();
  }

  @Override
  public byte[] seal(int seq, byte[] plain) {
    byte[] wire = new byte[plain.length + mac.getMacLength()];
    try {
      mac.update(seqBytes(seq));
      if (etm) {
        System.arraycopy(plain, 0, wire, 0, 4);
        cipher.update(plain, 4, plain.length - 4, wire, 4);
        mac.update(wire, 0, plain.length);
      } else {
        mac.update(plain);
        cipher.update(plain, 0, plain.length, wire, 0);
      }
      mac.doFinal(wire, plain.length);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CTR failed", e);
    }
    return wire;
  }

  @Override
  public void openFirst(byte[] first) {
    if (!etm) {
      byte[] clear = cipher.update(first, 0, 16);
      System.arraycopy(clear, 0, first, 0, 16);
    }
  }

  @Override
  public byte[] open(int seq, byte[] wire) throws SshException {
    int n = wire.length - mac.getMacLength();
    byte[] plain = new byte[n];
    mac.update(seqBytes(seq));
    if (etm) {
      mac.update(wire, 0, n);
      checkMac(wire, n);
      System.arraycopy(wire, 0, plain, 0, 4);
      decrypt(wire, 4, n - 4, plain, 4);
    } else {
      System.arraycopy(wire, 0, plain, 0, 16); // opened by openFirst
      decrypt(wire, 16, n - 16, plain, 16);
      mac.update(plain);
      checkMac(wire, n);
    }
    return plain;
  }

  private void decrypt(byte[] in, int at, int length, byte[] out, int outAt) throws SshException {
    try {
      cipher.update(in, at, length, out, outAt);
    } catch (GeneralSecurityException e) {
      throw new SshException("AES-CTR failed", e);
    }
  }

  private void checkMac(byte[] wire, int at) throws SshException {
    byte[] expected = mac.doFinal();
    byte[] got = java.util.Arrays.copyOfRange(wire, at, wire.length);
    if (!MessageDigest.isEqual(expected, got)) {
      throw new SshException("a packet failed its MAC");
    }
  }

  private static byte[] seqBytes(int seq) {
    return new byte[] {(byte) (seq >>> 24), (byte) (seq >>> 16), (byte) (seq >>> 8), (byte) seq};
  }
}
