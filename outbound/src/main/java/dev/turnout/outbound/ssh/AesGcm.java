package dev.turnout.outbound.ssh;

import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code aes128-gcm@openssh.com} and {@code aes256-gcm@openssh.com} (RFC 5647 as OpenSSH does it):
 * the length is the additional data, the nonce a fixed 4 bytes and a 64-bit counter that each
 * packet advances, the tag 16 bytes.
 */
final class AesGcm implements PacketCipher {
  private static final int TAG = 16;

  private final Cipher cipher;
  private final SecretKeySpec key;
  private final byte[] nonce;
  private final int mode;

  AesGcm(byte[] key, byte[] iv, boolean encrypt) {
    try {
      this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this Java has no AES-GCM", e);
    }
    this.key = new SecretKeySpec(key, "AES");
    this.nonce = java.util.Arrays.copyOf(iv, 12);
    this.mode = encrypt ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE;
  }

  @Override
  public int blockSize() {
    return 16;
  }

  @Override
  public boolean lengthInClear() {
    return true;
  }

  @Override
  public int tagLength() {
    return TAG;
  }

  @Override
  public byte[] seal(int seq, byte[] plain) {
    byte[] wire = new byte[plain.length + TAG];
    System.arraycopy(plain, 0, wire, 0, 4);
    try {
      start();
      cipher.updateAAD(plain, 0, 4);
      cipher.doFinal(plain, 4, plain.length - 4, wire, 4);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed to seal", e);
    }
    return wire;
  }

  @Override
  public void openFirst(byte[] first) {}

  @Override
  public byte[] open(int seq, byte[] wire) throws SshException {
    byte[] plain = new byte[wire.length - TAG];
    System.arraycopy(wire, 0, plain, 0, 4);
    try {
      start();
      cipher.updateAAD(wire, 0, 4);
      cipher.doFinal(wire, 4, wire.length - 4, plain, 4);
    } catch (AEADBadTagException e) {
      throw new SshException("a packet failed its authentication tag");
    } catch (GeneralSecurityException e) {
      throw new SshException("AES-GCM failed to open a packet", e);
    }
    return plain;
  }

  /** Keys the cipher with this packet's nonce, then advances the counter for the next. */
  private void start() throws GeneralSecurityException {
    cipher.init(mode, key, new GCMParameterSpec(TAG * 8, nonce));
    for (int i = 11; i >= 4 && ++nonce[i] == 0; i--) {
      // carry
    }
  }
}
