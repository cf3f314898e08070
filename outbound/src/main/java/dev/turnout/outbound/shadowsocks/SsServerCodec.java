package dev.turnout.outbound.shadowsocks;

import dev.turnout.outbound.AddressedDatagram;
import dev.turnout.outbound.Destination;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.List;
import java.util.function.Consumer;

/**
 * The server side of a Shadowsocks AEAD stream, for Turnout's shadowsocks listeners: the outbound's
 * codecs the other way round. What the client sends (its salt, then chunks) is decoded to the
 * target address and the bytes behind it; what goes back is encoded under a salt of the server's
 * own. A salt a client used before is refused (a replayed connection; {@link SaltFilter}).
 * Thread-safe; one per listener.
 */
public final class SsServerCodec {
  /** The {@code cipher:} values a listener takes (the AEAD ones, as for proxies). */
  public static final List<String> CIPHERS = SsCipher.NAMES;

  private final SsCipher cipher;
  private final byte[] masterKey;
  private final SecureRandom random = new SecureRandom();
  private final SaltFilter salts = new SaltFilter(SALT_GENERATION);

  /** Salts remembered per generation: two generations, so 32,768 to 65,536 connections back. */
  static final int SALT_GENERATION = 32_768;

  private SsServerCodec(SsCipher cipher, String password) {
    this.cipher = cipher;
    this.masterKey = cipher.masterKey(password);
  }

  /**
   * The codec of {@code cipher} with the key of {@code password}.
   *
   * @throws IllegalArgumentException for a cipher not in {@link #CIPHERS} or an empty password
   */
  public static SsServerCodec of(String cipher, String password) {
    if (cipher == null || !CIPHERS.contains(cipher)) {
      throw new IllegalArgumentException(
          "cipher " + cipher + " is not one of " + String.join(", ", CIPHERS));
    }
    if (password == null || password.isEmpty()) {
      throw new IllegalArgumentException("a Shadowsocks listener needs a password");
    }
    return new SsServerCodec(SsCipher.byName(cipher), password);
  }

  /**
   * Adds the decoder and the encoder at the tail of {@code pipeline}; a chunk that fails
   * authentication (a client with another password, a prober) or a salt seen before (a replayed
   * connection) goes to {@code failed}, then the connection closes.
   */
  public void install(ChannelPipeline pipeline, Consumer<Channel> failed) {
    pipeline.addLast(new SsStreamDecoder(cipher, masterKey, failed, salts));
    pipeline.addLast(new SsStreamEncoder(cipher, masterKey, random));
  }

  /**
   * A client's UDP packet ({@code salt || seal(address || payload)}, as the outbound sends them)
   * opened: where it goes and what it carries. Null when it does not authenticate (another key, a
   * prober) or its address is malformed. Reads {@code packet}; the caller still owns it.
   */
  public AddressedDatagram openDatagram(ByteBuf packet) {
    return SsDatagramCodec.open(cipher, masterKey, packet);
  }

  /**
   * A reply to a client's UDP packet: {@code payload} from {@code source}, sealed under a salt of
   * its own. Reads {@code payload}; the caller still owns it.
   */
  public ByteBuf sealDatagram(Destination source, ByteBuf payload) {
    return SsDatagramCodec.seal(cipher, masterKey, random, source, payload);
  }

  /**
   * Equal when cipher and key are: a reload that rewrites the same listener leaves it as it is (its
   * salt filter included).
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof SsServerCodec other
        && cipher == other.cipher
        && MessageDigest.isEqual(masterKey, other.masterKey);
  }

  @Override
  public int hashCode() {
    return cipher.hashCode(); // the key stays out of hash tables' reach
  }

  @Override
  public String toString() {
    return "Shadowsocks " + cipher.configName;
  }
}
