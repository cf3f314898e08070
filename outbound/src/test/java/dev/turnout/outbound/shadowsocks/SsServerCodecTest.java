package dev.turnout.outbound.shadowsocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A Shadowsocks listener's codec against the proxies' own client encoder: the request decodes, the
 * reply encodes under a salt of the server's own, another password and a replayed connection are
 * refused.
 */
class SsServerCodecTest {
  private final AtomicInteger failures = new AtomicInteger();

  private EmbeddedChannel server(SsServerCodec codec) {
    EmbeddedChannel ch = new EmbeddedChannel();
    codec.install(ch.pipeline(), c -> failures.incrementAndGet());
    return ch;
  }

  /** What a client with {@code password} sends for {@code text}: its salt, then the chunks. */
  private static ByteBuf clientSends(String password, String text) {
    SsCipher cipher = SsCipher.byName("aes-256-gcm");
    EmbeddedChannel client =
        new EmbeddedChannel(
            new SsStreamEncoder(cipher, cipher.masterKey(password), new SecureRandom()));
    client.writeOutbound(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    return client.readOutbound();
  }

  @Test
  void aClientsRequestDecodesAndTheReplyEncodes() {
    EmbeddedChannel server = server(SsServerCodec.of("aes-256-gcm", "secret"));
    server.writeInbound(clientSends("secret", "hello"));
    ByteBuf request = server.readInbound();
    assertThat(request.toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
    request.release();
    server.writeOutbound(Unpooled.copiedBuffer("world", StandardCharsets.US_ASCII));
    ByteBuf reply = server.readOutbound();
    SsCipher cipher = SsCipher.byName("aes-256-gcm");
    EmbeddedChannel client =
        new EmbeddedChannel(new SsStreamDecoder(cipher, cipher.masterKey("secret")));
    client.writeInbound(reply);
    ByteBuf decoded = client.readInbound();
    assertThat(decoded.toString(StandardCharsets.US_ASCII)).isEqualTo("world");
    decoded.release();
    assertThat(failures).hasValue(0);
  }

  @Test
  void anotherPasswordAndAReplayedConnectionAreRefused() {
    SsServerCodec codec = SsServerCodec.of("aes-256-gcm", "secret");
    EmbeddedChannel wrong = server(codec);
    wrong.writeInbound(clientSends("not-the-password", "hello"));
    assertThat(wrong.isOpen()).isFalse();
    assertThat(failures).hasValue(1);

    ByteBuf recorded = clientSends("secret", "hello");
    EmbeddedChannel first = server(codec);
    first.writeInbound(recorded.retainedDuplicate());
    ByteBuf request = first.readInbound();
    assertThat(request.toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
    request.release();
    EmbeddedChannel replay = server(codec);
    replay.writeInbound(recorded);
    assertThat((Object) replay.readInbound()).as("nothing decoded").isNull();
    assertThat(replay.isOpen()).isFalse();
    assertThat(failures).hasValue(2);
  }

  @Test
  void codecsOfTheSameCipherAndPasswordAreEqualSoAReloadKeepsTheListener() {
    assertThat(SsServerCodec.of("aes-256-gcm", "secret"))
        .isEqualTo(SsServerCodec.of("aes-256-gcm", "secret"))
        .isNotEqualTo(SsServerCodec.of("aes-256-gcm", "other"))
        .isNotEqualTo(SsServerCodec.of("aes-128-gcm", "secret"));
  }

  @Test
  void aStreamCipherOrNoPasswordIsRefused() {
    assertThatThrownBy(() -> SsServerCodec.of("rc4-md5", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rc4-md5");
    assertThatThrownBy(() -> SsServerCodec.of("aes-128-gcm", ""))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theSaltFilterForgetsOnlyAfterTwoGenerations() {
    SaltFilter filter = new SaltFilter(2);
    byte[] a = {1};
    assertThat(filter.fresh(a)).isTrue();
    assertThat(filter.fresh(a)).isFalse();
    assertThat(filter.fresh(new byte[] {2})).isTrue(); // the first generation is full
    assertThat(filter.fresh(a)).as("still in the older generation").isFalse();
    assertThat(filter.fresh(new byte[] {3})).isTrue();
    assertThat(filter.fresh(new byte[] {4})).isTrue(); // the second is full: the first goes
    assertThat(filter.fresh(a)).isTrue();
  }
}
