package dev.turnout.outbound.crypto;

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
 * One direction of an AEAD stream: a key and a 12-byte nonce (24 for XChaCha20) that is a
 * little-endian counter, incremented after every seal or open (the Shadowsocks convention). AES-GCM
 * or ChaCha20-Poly1305 from the JDK, XChaCha20-Poly1305 on top of it, 16-byte tags. Not
 * thread-safe: one per direction per connection. Reads and writes the caller's buffers; owns none.
 */
public final class Aead {
  /** Bytes of the authentication tag after every sealed message. */
  public static final int TAG = 16;

  /** Bytes of the nonce. */
  public static final int NONCE = 12;

  /** The transformation name that selects XChaCha20-Poly1305 (24-byte nonce). */
  public static final String XCHACHA20_POLY1305 = "XChaCha20-Poly1305";

  private final Cipher cipher;
  private final SecretKeySpec key;
  private final boolean gcm;
  private final boolean xchacha;
  private final byte[] nonce;

  /**
   * @param transformation the JDK's name: {@code AES/GCM/NoPadding} or {@code ChaCha20-Poly1305};
   *     or {@link #XCHACHA20_POLY1305}, built here from HChaCha20 and the JDK's ChaCha20-Poly1305
   * @param keyAlgorithm {@code AES} or {@code ChaCha20}
   */
  public Aead(String transformation, String keyAlgorithm, byte[] key) {
    this.xchacha = XCHACHA20_POLY1305.equals(transformation);
    String jdk = xchacha ? "ChaCha20-Poly1305" : transformation;
    try {
      this.cipher = Cipher.getInstance(jdk);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(jdk + " missing from the JDK", e);
    }
    this.key = new SecretKeySpec(key, keyAlgorithm);
    this.gcm = transformation.startsWith("AES");
    this.nonce = new byte[xchacha ? 24 : NONCE];
  }

  /** Sets the nonce explicitly (VMess builds its own); the counter continues from it. */
  public void nonce(byte[] value) {
    System.arraycopy(value, 0, nonce, 0, NONCE);
  }

  private AlgorithmParameterSpec spec() {
    if (xchacha) {
      byte[] inner = new byte[NONCE];
      System.arraycopy(nonce, 16, inner, 4, 8);
      return new IvParameterSpec(inner);
    }
    return gcm ? new GCMParameterSpec(128, nonce) : new IvParameterSpec(nonce);
  }

  private SecretKeySpec key() {
    if (!xchacha) {
      return key;
    }
    byte[] head = new byte[16];
    System.arraycopy(nonce, 0, head, 0, 16);
    return new SecretKeySpec(HChaCha20.subkey(key.getEncoded(), head), "ChaCha20");
  }

  /** Encrypts {@code length} readable bytes of {@code in} into {@code out}, appending the tag. */
  public void seal(ByteBuf in, int length, ByteBuf out) {
    run(Cipher.ENCRYPT_MODE, in, length, out, length + TAG);
  }

  /**
   * Decrypts {@code length} readable bytes of {@code in} (ciphertext and tag) into {@code out}.
   * Returns false, writing nothing, when authentication fails.
   */
  public boolean open(ByteBuf in, int length, ByteBuf out) {
    try {
      run(Cipher.DECRYPT_MODE, in, length, out, length - TAG);
      return true;
    } catch (IllegalStateException e) {
      if (e.getCause() instanceof AEADBadTagException) {
        return false;
      }
      throw e;
    }
  }

  private void run(int mode, ByteBuf in, int length, ByteBuf out, int outLength) {
    out.ensureWritable(outLength);
    ByteBuffer src = in.nioBuffer(in.readerIndex(), length);
    ByteBuffer dst = out.nioBuffer(out.writerIndex(), outLength);
    try {
      cipher.init(mode, key(), spec());
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
