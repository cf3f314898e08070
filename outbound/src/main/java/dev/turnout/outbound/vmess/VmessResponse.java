package dev.turnout.outbound.vmess;

import dev.turnout.outbound.crypto.Aead;
import io.netty.buffer.ByteBuf;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Reads the response header at the front of a VMess server's stream: sealed length and sealed
 * header (AEAD), or 4 bytes of AES-128-CFB under the response key and IV followed by a command
 * whose length the 4th byte gives (legacy, {@code alterId > 0}). Its first byte must echo the
 * request's V. Bytes only; one per connection.
 */
final class VmessResponse {
  private final VmessSession session;
  private int headerLength = -1;
  private Cfb cfb;
  private boolean done;

  VmessResponse(VmessSession session) {
    this.session = session;
  }

  boolean done() {
    return done;
  }

  /**
   * Consumes what it can of the header from {@code in}. Returns null while all is well (check
   * {@link #done()}), or what is wrong with the header.
   */
  String read(ByteBuf in) {
    return session.legacy ? readLegacy(in) : readAead(in);
  }

  private String readAead(ByteBuf in) {
    try {
      if (headerLength < 0) {
        if (in.readableBytes() < VmessHeader.SEALED_LENGTH) {
          return null;
        }
        byte[] sealed = new byte[VmessHeader.SEALED_LENGTH];
        in.readBytes(sealed);
        headerLength = VmessHeader.responseLength(session, sealed);
      }
      if (in.readableBytes() < headerLength + Aead.TAG) {
        return null;
      }
      byte[] sealed = new byte[headerLength + Aead.TAG];
      in.readBytes(sealed);
      byte[] header = VmessHeader.response(session, sealed);
      if (header.length < 4 || header[0] != session.responseAuth) {
        return "response header does not match the request";
      }
      done = true;
      return null;
    } catch (IllegalStateException e) {
      return "response header failed authentication";
    }
  }

  private String readLegacy(ByteBuf in) {
    if (headerLength < 0) {
      if (in.readableBytes() < 4) {
        return null;
      }
      byte[] head = new byte[4];
      in.readBytes(head);
      head = cfb().update(head);
      if (head[0] != session.responseAuth) {
        return "response header does not match the request (wrong UUID or alterId?)";
      }
      headerLength = head[3] & 0xff; // a dynamic-port command, which Turnout does not follow
    }
    if (in.readableBytes() < headerLength) {
      return null;
    }
    in.skipBytes(headerLength);
    done = true;
    return null;
  }

  private Cfb cfb() {
    if (cfb == null) {
      cfb = new Cfb(session.responseKey, session.responseIv);
    }
    return cfb;
  }

  /**
   * AES-128-CFB decryption that keeps its place between calls, byte by byte, as Go's CFB stream
   * does (the JDK's CFB waits for whole blocks).
   */
  static final class Cfb {
    private final Cipher aes;
    private final byte[] register;
    private final byte[] keystream = new byte[16];
    private int position = 16;

    Cfb(byte[] key, byte[] iv) {
      try {
        aes = Cipher.getInstance("AES/ECB/NoPadding");
        aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES missing from the JDK", e);
      }
      register = iv.clone();
    }

    byte[] update(byte[] in) {
      byte[] out = new byte[in.length];
      for (int i = 0; i < in.length; i++) {
        if (position == 16) {
          try {
            aes.doFinal(register, 0, 16, keystream, 0);
          } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
          }
          position = 0;
        }
        out[i] = (byte) (in[i] ^ keystream[position]);
        register[position++] = in[i]; // the ciphertext feeds the next block
      }
      return out;
    }
  }
}
