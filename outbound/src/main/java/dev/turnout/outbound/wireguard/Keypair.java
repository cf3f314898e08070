package dev.turnout.outbound.wireguard;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The transport keys of one completed handshake (paper section 5.4.6): seals outgoing packets with
 * a counter that never repeats, opens incoming ones through the {@link ReplayWindow}. Not
 * thread-safe: confined to the tunnel's event loop. Reads and writes the caller's buffers.
 */
final class Keypair {
  final int localIndex;
  final int remoteIndex;
  final long createdNanos;
  private final SecretKeySpec sendKey;
  private final SecretKeySpec receiveKey;
  private final Cipher sealer;
  private final Cipher opener;
  private final ReplayWindow window = new ReplayWindow();
  private long sendCounter;

  Keypair(Handshake.Keys keys, int localIndex, long createdNanos) {
    this.localIndex = localIndex;
    this.remoteIndex = keys.remoteIndex();
    this.createdNanos = createdNanos;
    this.sendKey = new SecretKeySpec(keys.send(), "ChaCha20");
    this.receiveKey = new SecretKeySpec(keys.receive(), "ChaCha20");
    try {
      this.sealer = Cipher.getInstance("ChaCha20-Poly1305");
      this.opener = Cipher.getInstance("ChaCha20-Poly1305");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ChaCha20-Poly1305 missing from the JDK", e);
    }
  }

  long sent() {
    return sendCounter;
  }

  /**
   * Writes one transport message to {@code out}: the header, then {@code length} bytes of {@code
   * plain} from its reader index (the padded packet) sealed with the next counter.
   */
  void seal(ByteBuf plain, int length, ByteBuf out, byte[] reserved) {
    long counter = sendCounter++;
    out.writeByte(Messages.TRANSPORT);
    out.writeBytes(reserved, 0, 3);
    out.writeIntLE(remoteIndex);
    out.writeLongLE(counter);
    out.ensureWritable(length + Noise.TAG);
    ByteBuffer src = plain.nioBuffer(plain.readerIndex(), length);
    ByteBuffer dst = out.nioBuffer(out.writerIndex(), length + Noise.TAG);
    try {
      sealer.init(Cipher.ENCRYPT_MODE, sendKey, new IvParameterSpec(Noise.nonce(counter)));
      int n = sealer.doFinal(src, dst);
      out.writerIndex(out.writerIndex() + n);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The JDK (17) refuses to initialize a ChaCha20-Poly1305 cipher with the key and nonce of its
   * previous initialization, also for decryption: a forged message with counter n, then the real
   * one, would fail the real one. Initializing once with a nonce no message uses resets that.
   */
  private void initOpener(long counter) throws GeneralSecurityException {
    IvParameterSpec nonce = new IvParameterSpec(Noise.nonce(counter));
    try {
      opener.init(Cipher.DECRYPT_MODE, receiveKey, nonce);
    } catch (java.security.InvalidKeyException sameAsBefore) {
      opener.init(Cipher.DECRYPT_MODE, receiveKey, new IvParameterSpec(Noise.nonce(-1)));
      opener.init(Cipher.DECRYPT_MODE, receiveKey, nonce);
    }
  }

  /**
   * Opens a transport message (whose {@link Messages#kind} was checked) into {@code out}. False,
   * writing nothing, when its counter was seen or is out of the window, or it does not
   * authenticate.
   */
  boolean open(ByteBuf message, ByteBuf out) {
    long counter = Messages.counter(message);
    if (!window.fresh(counter)) {
      return false;
    }
    int sealedLength = message.readableBytes() - Messages.TRANSPORT_HEADER;
    int plainLength = sealedLength - Noise.TAG;
    out.ensureWritable(plainLength);
    ByteBuffer src =
        message.nioBuffer(message.readerIndex() + Messages.TRANSPORT_HEADER, sealedLength);
    ByteBuffer dst = out.nioBuffer(out.writerIndex(), plainLength);
    try {
      initOpener(counter);
      int n = opener.doFinal(src, dst);
      if (!window.accept(counter)) {
        return false;
      }
      out.writerIndex(out.writerIndex() + n);
      return true;
    } catch (AEADBadTagException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
