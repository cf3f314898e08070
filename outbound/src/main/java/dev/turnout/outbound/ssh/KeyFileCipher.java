package dev.turnout.outbound.ssh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Opens the private part of an encrypted OpenSSH key file ({@code openssh-key-v1}): the key and IV
 * come from the passphrase by bcrypt_pbkdf with the file's salt and rounds; the cipher is what
 * {@code ssh-keygen} writes (aes256-ctr by default, aes256-gcm@openssh.com with {@code -Z}) or
 * another AES mode OpenSSH offers. A wrong passphrase shows only in the check numbers inside.
 */
final class KeyFileCipher {
  private KeyFileCipher() {}

  static byte[] open(
      String cipher, String kdf, byte[] kdfOptions, String passphrase, byte[] secret, byte[] tag)
      throws GeneralSecurityException, SshException {
    if (!kdf.equals("bcrypt")) {
      throw new IllegalArgumentException("a key encrypted with the " + kdf + " KDF");
    }
    ByteBuf o = Unpooled.wrappedBuffer(kdfOptions);
    byte[] salt = SshWire.readString(o);
    int rounds = SshWire.readInt(o);
    int keyLength = cipher.startsWith("aes256") ? 32 : cipher.startsWith("aes192") ? 24 : 16;
    boolean gcm = cipher.endsWith("-gcm@openssh.com");
    int ivLength = gcm ? 12 : 16;
    String transformation;
    if (gcm) {
      transformation = "AES/GCM/NoPadding";
    } else if (cipher.endsWith("-ctr")) {
      transformation = "AES/CTR/NoPadding";
    } else if (cipher.endsWith("-cbc")) {
      transformation = "AES/CBC/NoPadding";
    } else {
      throw new IllegalArgumentException("a key encrypted with " + cipher);
    }
    if (rounds < 1 || rounds > 1 << 16) {
      throw new IllegalArgumentException("a key file asking for " + rounds + " bcrypt rounds");
    }
    byte[] km =
        BcryptPbkdf.derive(
            passphrase.getBytes(StandardCharsets.UTF_8), salt, rounds, keyLength + ivLength);
    byte[] key = Arrays.copyOf(km, keyLength);
    byte[] iv = Arrays.copyOfRange(km, keyLength, km.length);
    Cipher c = Cipher.getInstance(transformation);
    SecretKeySpec k = new SecretKeySpec(key, "AES");
    if (gcm) {
      c.init(Cipher.DECRYPT_MODE, k, new GCMParameterSpec(128, iv));
      try {
        return c.doFinal(SshKeys.concat(secret, tag));
      } catch (javax.crypto.AEADBadTagException e) {
        throw new IllegalArgumentException("private-key-passphrase does not open the private key");
      }
    }
    if (secret.length % 16 != 0) {
      throw new IllegalArgumentException("an encrypted key whose length is not whole blocks");
    }
    c.init(Cipher.DECRYPT_MODE, k, new IvParameterSpec(iv));
    return c.doFinal(secret);
  }
}
