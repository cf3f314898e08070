package dev.turnout.outbound;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * One direction of an AEAD stream: a key and a 12-byte nonce that is a little-endian counter,
 * incremented after every seal or open (the Shadowsocks convention). AES-GCM or ChaCha20-Poly1305
 * from the JDK, 16-byte tags. Not thread-safe: one per direction per connection.
 */
final class Aead {
  private final Cipher cipher;
  private final SecretKeySpec key;
  private final boolean gcm;
  private final byte[] nonce = new byte[SsCipher.NONCE];

  Aead(String transformation, String keyAlgorithm, byte[] key) {
    try {
      this.cipher = Cipher.getInstance(transformation);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(transformation + " missing from the JDK", e);
    }
    this.key = new SecretKeySpec(key, keyAlgorithm);
    this.gcm = transformation.startsWith("AES");
  }

  Aead(SsCipher c, byte[] subkey) {
    this(c.transformation, c.keyAlgorithm, subkey);
  }

  /** Sets the nonce explicitly (VMess builds its own); the counter continues from it. */
  void nonce(byte[] value) {
    System.arraycopy(value, 0, nonce, 0, SsCipher.NONCE);
  }

  private AlgorithmParameterSpec spec() {
    return gcm ? new GCMParameterSpec(128, nonce) : new IvParameterSpec(nonce);
  }

  /** Encrypts {@code length} readable bytes of {@code in} into {@code out}, appending the tag. */
  void seal(ByteBuf in, int length, ByteBuf out) {
    run(Cipher.ENCRYPT_MODE, in, length, out, length + SsCipher.TAG, null);
  }

  void seal(ByteBuf in, int length, ByteBuf out, byte[] aad) {
    run(Cipher.ENCRYPT_MODE, in, length, out, length + SsCipher.TAG, aad);
  }

  /**
   * Decrypts {@code length} readable bytes of {@code in} (ciphertext and tag) into {@code out}.
   * Returns false, writing nothing, when authentication fails.
   */
  boolean open(ByteBuf in, int length, ByteBuf out) {
    return open(in, length, out, null);
  }

  boolean open(ByteBuf in, int length, ByteBuf out, byte[] aad) {
    try {
      run(Cipher.DECRYPT_MODE, in, length, out, length - SsCipher.TAG, aad);
      return true;
    } catch (IllegalStateException e) {
      if (e.getCause() instanceof AEADBadTagException) {
        return false;
      }
      throw e;
    }
  }

  private void run(int mode, ByteBuf in, int length, ByteBuf out, int outLength, byte[] aad) {
    out.ensureWritable(outLength);
    ByteBuffer src = in.nioBuffer(in.readerIndex(), length);
    ByteBuffer dst = out.nioBuffer(out.writerIndex(), outLength);
    try {
      cipher.init(mode, key, spec());
      if (aad != null) {
        cipher.updateAAD(aad);
      }
      int n = cipher.doFinal(src, dst);
      in.skipBytes(length);
      out.writerIndex(out.writerIndex() + n);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    } finally {
      increment();
    }
  }

  private void increment() {
    for (int i = 0; i < nonce.length; i++) {
      if (++nonce[i] != 0) {
        return;
      }
    }
  }
}
