package dev.turnout.relay.sniff;

import dev.turnout.relay.sniff.Sniff.Result;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The client Initial packets of one UDP flow, datagram by datagram: removes their protection with
 * the keys anyone can derive from the Destination Connection ID (RFC 9001 §5.2; RFC 9369 §3.3 for
 * QUIC v2), joins the CRYPTO frames into the TLS handshake stream, and reads the ClientHello's
 * server_name with {@link Sniff}. Reads at absolute indexes only, never outside a datagram, and
 * never throws on what a client sent. Holds at most {@link Sniff#MAX_BYTES} of stream, and lets go
 * of it once it answers.
 *
 * <p>A failed AEAD tag is NONE until one Initial of the flow has decrypted; after that such a
 * packet is skipped, since it proves nothing about the flow (a stray or forged datagram on the same
 * addresses) and the client's own packets may still complete the hello.
 *
 * <p>Not thread-safe; one per flow.
 */
public final class QuicSniff {
  /** Datagrams looked at without an answer; Chrome's post-quantum hello takes two. */
  public static final int MAX_DATAGRAMS = 8;

  private static final int V1 = 0x00000001;
  private static final int V2 = 0x6b3343cf;
  private static final int MAX_CID = 20;
  private static final int SAMPLE = 16;
  private static final int TAG = 16;

  /** The types in a long header's bits 4-5, as v1 numbers them; v2 shifts them by one. */
  private static final int INITIAL = 0;

  private static final int RETRY = 3;

  private static final int PADDING = 0x00;
  private static final int PING = 0x01;
  private static final int ACK = 0x02;
  private static final int ACK_ECN = 0x03;
  private static final int CRYPTO = 0x06;

  private static final byte[] V1_SALT = hex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
  private static final byte[] V2_SALT = hex("0dede3def700a6db819381be6e269dcbf9bd2ed9");
  private static final byte[] CLIENT_IN = label("client in");
  private static final byte[] V1_KEY = label("quic key");
  private static final byte[] V1_IV = label("quic iv");
  private static final byte[] V1_HP = label("quic hp");
  private static final byte[] V2_KEY = label("quicv2 key");
  private static final byte[] V2_IV = label("quicv2 iv");
  private static final byte[] V2_HP = label("quicv2 hp");

  /** The final answer once there is one. */
  private Result answer;

  private int offered;

  /** Whether a packet of this flow has decrypted: a bad tag after that is skipped, not NONE. */
  private boolean decrypted;

  // The CRYPTO stream so far: its bytes, which of them arrived, and how many from 0 did.
  private byte[] stream;
  private ByteBuf streamView;
  private long[] arrived;
  private int contiguous;

  // The keys of the last Destination Connection ID seen, and the ciphers, made once.
  private Mac hmac;
  private Cipher aead;
  private Cipher headerCipher;
  private byte[] keyDcid;
  private int keyVersion;
  private SecretKeySpec key;
  private byte[] iv;

  // Scratch: a packet with its header protection removed, its plaintext, a mask, a nonce.
  private byte[] packet;
  private byte[] plain;
  private final byte[] mask = new byte[SAMPLE];
  private final byte[] nonce = new byte[12];

  /** Where the last {@link #varint} call ended. */
  private int cursor;

  /** Nothing seen yet. */
  public QuicSniff() {}

  /**
   * Offers the next datagram the client sent (its readable bytes; indexes and content untouched,
   * not released).
   *
   * @return NAME with the ClientHello's server_name once it is complete; MORE while the
   *     ClientHello's CRYPTO data is incomplete and a later datagram could complete it; NONE when
   *     this is not a QUIC long-header Initial of a supported version, is malformed, decrypts
   *     wrongly, names no host, or a limit is passed. After NAME or NONE, later calls return the
   *     same answer.
   */
  public Result offer(ByteBuf datagram) {
    if (answer != null) {
      return answer;
    }
    if (++offered > MAX_DATAGRAMS) {
      return finish(Result.NONE);
    }
    Result result;
    try {
      result = datagram(datagram);
    } catch (GeneralSecurityException e) {
      result = Result.NONE; // no AES or HMAC here: nothing to sniff with
    }
    return result == Result.MORE ? result : finish(result);
  }

  private Result finish(Result result) {
    answer = result;
    stream = null;
    streamView = null;
    arrived = null;
    packet = null;
    plain = null;
    hmac = null;
    aead = null;
    headerCipher = null;
    keyDcid = null;
    key = null;
    iv = null;
    return result;
  }

  /**
   * Walks the long-header packets coalesced in one datagram (RFC 9000 §12.2), decrypting the
   * Initial ones; then asks Sniff about the stream.
   */
  private Result datagram(ByteBuf in) throws GeneralSecurityException {
    int start = in.readerIndex();
    int end = in.writerIndex();
    int firstDcid = -1;
    int dcidLength = 0;
    int version = 0;
    if (start == end) {
      return Result.NONE;
    }
    for (int p = start; p < end; ) {
      int first = in.getUnsignedByte(p);
      if ((first & 0x80) == 0) {
        if (p == start) {
          return Result.NONE;
        }
        break; // a short header runs to the end of the datagram, and is not ours to read
      }
      if (end - p < 7) {
        return Result.NONE;
      }
      int v = in.getInt(p + 1);
      int dcidLen = in.getUnsignedByte(p + 5);
      if (p == start) {
        if (v != V1 && v != V2) {
          return Result.NONE; // version negotiation (0), drafts, and versions unknown
        }
        version = v;
      } else if (v != version) {
        break; // another version's packets are laid out as it says: stop reading
      }
      int q = p + 6;
      if (dcidLen > MAX_CID || end - q < dcidLen + 1) {
        return Result.NONE;
      }
      int dcid = q;
      q += dcidLen;
      int scidLen = in.getUnsignedByte(q++);
      if (scidLen > MAX_CID || end - q < scidLen) {
        return Result.NONE;
      }
      q += scidLen;
      if (p == start) {
        firstDcid = dcid;
        dcidLength = dcidLen;
      } else if (dcidLen != dcidLength || !same(in, dcid, firstDcid, dcidLen)) {
        break; // RFC 9000 §12.2: a receiver ignores packets with another DCID than the first
      }
      int type = (first >>> 4) & 3;
      if (version == V2) {
        type = (type - 1) & 3; // RFC 9369 §3.2: Initial 1, 0-RTT 2, Handshake 3, Retry 0
      }
      if (type == RETRY) {
        return Result.NONE; // servers send Retry
      }
      if (type == INITIAL) {
        long token = varint(in, q, end);
        if (token < 0 || token > end - cursor) {
          return Result.NONE;
        }
        q = cursor + (int) token;
      }
      long length = varint(in, q, end);
      if (length < 0 || length > end - cursor) {
        return Result.NONE;
      }
      int pnOffset = cursor;
      int packetEnd = pnOffset + (int) length;
      if (type == INITIAL) {
        Result bad = initial(in, p, pnOffset, packetEnd, dcid, dcidLen, version);
        if (bad != null) {
          return bad;
        }
      }
      // 0-RTT and Handshake packets carry nothing the sniffer can read: skipped by their Length.
      p = packetEnd;
    }
    if (!decrypted) {
      return Result.NONE; // no Initial of this flow has decrypted yet
    }
    return hello();
  }

  /**
   * Decrypts the Initial packet {@code in[p, end)} and takes its frames in. Null to go on, or the
   * answer it forces.
   */
  private Result initial(
      ByteBuf in, int p, int pnOffset, int end, int dcid, int dcidLen, int version)
      throws GeneralSecurityException {
    // RFC 9001 §5.4.2: the sample starts 4 bytes after the packet number's start.
    if (end - pnOffset < 4 + SAMPLE) {
      return Result.NONE;
    }
    keys(in, dcid, dcidLen, version);
    int n = end - p;
    if (packet == null || packet.length < n) {
      packet = new byte[Math.max(n, 1500)];
      plain = new byte[packet.length];
    }
    in.getBytes(p, packet, 0, n);
    int h = pnOffset - p;
    headerCipher.doFinal(packet, h + 4, SAMPLE, mask, 0);
    packet[0] ^= (byte) (mask[0] & 0x0f);
    int pnLength = (packet[0] & 3) + 1;
    long pn = 0;
    for (int i = 0; i < pnLength; i++) {
      packet[h + i] ^= mask[1 + i];
      pn = pn << 8 | (packet[h + i] & 0xff);
    }
    // The truncated number is the full one while numbers are small, as in a flow's first packets.
    System.arraycopy(iv, 0, nonce, 0, nonce.length);
    for (int i = 0; i < 4; i++) {
      nonce[nonce.length - 1 - i] ^= (byte) (pn >>> (8 * i));
    }
    int payload = h + pnLength;
    int plainLength;
    try {
      aead.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce));
      aead.updateAAD(packet, 0, payload);
      plainLength = aead.doFinal(packet, payload, n - payload, plain, 0);
    } catch (AEADBadTagException e) {
      return decrypted ? null : Result.NONE;
    }
    // Reserved bits set, or no frames: a protocol violation (RFC 9000 §17.2, §12.4).
    if ((packet[0] & 0x0c) != 0 || plainLength == 0) {
      return Result.NONE;
    }
    decrypted = true;
    return frames(plainLength) ? null : Result.NONE;
  }

  /** Takes in the frames of {@code plain[0, length)}; false for one an Initial cannot carry. */
  private boolean frames(int length) {
    byte[] b = plain;
    for (int i = 0; i < length; ) {
      int type = b[i] & 0xff;
      cursor = i + 1;
      switch (type) {
        case PADDING, PING -> {}
        case ACK, ACK_ECN -> {
          // Largest Acknowledged, ACK Delay, ACK Range Count, First ACK Range, then the ranges.
          long count = 0;
          for (int k = 0; k < 4; k++) {
            long value = varint(b, cursor, length);
            if (value < 0) {
              return false;
            }
            count = k == 2 ? value : count;
          }
          // A Gap and an ACK Range Length each: a count past the payload runs out of bytes.
          for (long k = 0; k < count; k++) {
            if (varint(b, cursor, length) < 0 || varint(b, cursor, length) < 0) {
              return false;
            }
          }
          // ECT(0), ECT(1) and ECN-CE counts.
          for (int k = 0; type == ACK_ECN && k < 3; k++) {
            if (varint(b, cursor, length) < 0) {
              return false;
            }
          }
        }
        case CRYPTO -> {
          long offset = varint(b, cursor, length);
          long n = offset < 0 ? -1 : varint(b, cursor, length);
          if (n < 0 || n > length - cursor || offset + n > Sniff.MAX_BYTES) {
            return false;
          }
          take((int) offset, b, cursor, (int) n);
          cursor += (int) n;
        }
        default -> {
          return false; // CONNECTION_CLOSE (0x1c) or what an Initial may not carry
        }
      }
      i = cursor;
    }
    return true;
  }

  /** Puts CRYPTO data at {@code offset}: arrival in any order, overlaps written again. */
  private void take(int offset, byte[] from, int at, int n) {
    int end = offset + n;
    if (stream == null || stream.length < end) {
      int size = stream == null ? 2048 : stream.length;
      while (size < end) {
        size *= 2;
      }
      stream = stream == null ? new byte[size] : Arrays.copyOf(stream, size);
      streamView = Unpooled.wrappedBuffer(stream);
      if (arrived == null) {
        arrived = new long[Sniff.MAX_BYTES / 64];
      }
    }
    System.arraycopy(from, at, stream, offset, n);
    for (int i = offset; i < end; i++) {
      arrived[i >>> 6] |= 1L << i;
    }
  }

  /** What the stream from offset 0 says so far. */
  private Result hello() {
    int before = contiguous;
    while (arrived != null
        && contiguous < Sniff.MAX_BYTES
        && (arrived[contiguous >>> 6] & 1L << contiguous) != 0) {
      contiguous++;
    }
    if (contiguous == before) {
      return Result.MORE;
    }
    Result result = Sniff.clientHelloMessage(streamView, 0, contiguous);
    return result == Result.MORE && contiguous == Sniff.MAX_BYTES ? Result.NONE : result;
  }

  /** Derives the client's Initial keys for this DCID and version unless they are at hand. */
  private void keys(ByteBuf in, int dcid, int dcidLen, int version)
      throws GeneralSecurityException {
    if (keyDcid != null && keyVersion == version && keyDcid.length == dcidLen) {
      int i = 0;
      while (i < dcidLen && in.getByte(dcid + i) == keyDcid[i]) {
        i++;
      }
      if (i == dcidLen) {
        return;
      }
    }
    if (hmac == null) {
      hmac = Mac.getInstance("HmacSHA256");
      aead = Cipher.getInstance("AES/GCM/NoPadding");
      headerCipher = Cipher.getInstance("AES/ECB/NoPadding");
    }
    byte[] id = new byte[dcidLen];
    in.getBytes(dcid, id);
    boolean v2 = version == V2;
    hmac.init(new SecretKeySpec(v2 ? V2_SALT : V1_SALT, "HmacSHA256"));
    byte[] initial = hmac.doFinal(id); // HKDF-Extract
    byte[] client = expandLabel(initial, CLIENT_IN, 32);
    key = new SecretKeySpec(expandLabel(client, v2 ? V2_KEY : V1_KEY, 16), "AES");
    iv = expandLabel(client, v2 ? V2_IV : V1_IV, 12);
    byte[] hp = expandLabel(client, v2 ? V2_HP : V1_HP, 16);
    headerCipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(hp, "AES"));
    keyDcid = id;
    keyVersion = version;
  }

  /**
   * HKDF-Expand-Label(secret, label, "", length) of TLS 1.3 (RFC 8446 §7.1) for SHA-256 and at most
   * 32 bytes: one HMAC block, T(1).
   */
  private byte[] expandLabel(byte[] secret, byte[] label, int length)
      throws GeneralSecurityException {
    hmac.init(new SecretKeySpec(secret, "HmacSHA256"));
    hmac.update((byte) (length >>> 8));
    hmac.update((byte) length);
    hmac.update(label); // its length byte, "tls13 ", the label
    hmac.update((byte) 0); // no context
    hmac.update((byte) 1);
    return Arrays.copyOf(hmac.doFinal(), length);
  }

  /** The QUIC variable-length integer at {@code p} (RFC 9000 §16), ending at {@link #cursor}. */
  private long varint(ByteBuf in, int p, int end) {
    if (p >= end) {
      return -1;
    }
    int first = in.getUnsignedByte(p);
    int n = 1 << (first >>> 6);
    if (end - p < n) {
      return -1;
    }
    long value = first & 0x3f;
    for (int i = 1; i < n; i++) {
      value = value << 8 | in.getUnsignedByte(p + i);
    }
    cursor = p + n;
    return value;
  }

  /** The same in an array: -1 if it does not end by {@code end}. */
  private long varint(byte[] b, int p, int end) {
    if (p >= end) {
      return -1;
    }
    int first = b[p] & 0xff;
    int n = 1 << (first >>> 6);
    if (end - p < n) {
      return -1;
    }
    long value = first & 0x3f;
    for (int i = 1; i < n; i++) {
      value = value << 8 | (b[p + i] & 0xff);
    }
    cursor = p + n;
    return value;
  }

  /** An HkdfLabel's label field: its length, then "tls13 " and {@code name}. */
  private static byte[] label(String name) {
    byte[] text = ("tls13 " + name).getBytes(StandardCharsets.US_ASCII);
    byte[] field = new byte[1 + text.length];
    field[0] = (byte) text.length;
    System.arraycopy(text, 0, field, 1, text.length);
    return field;
  }

  /** Whether {@code in[a, a + n)} and {@code in[b, b + n)} are the same bytes. */
  private static boolean same(ByteBuf in, int a, int b, int n) {
    for (int i = 0; i < n; i++) {
      if (in.getByte(a + i) != in.getByte(b + i)) {
        return false;
      }
    }
    return true;
  }

  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s);
  }
}
