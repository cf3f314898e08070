package dev.turnout.outbound.trojan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.RecordingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Trojan request header on bytes, and its handshake through an EmbeddedChannel with the TLS
 * handshake's outcome played in as the event the TLS handler fires.
 */
class TrojanCodecTest {
  /** SHA-224("password") in hex, as {@code printf password | sha224sum} prints it. */
  private static final String PASSWORD_HASH =
      "d63dc919e201d7bc4c825630d2cf25fdc93d4b2f0d46706d29038d01";

  private static final Destination TARGET = new Destination("example.org", null, 443);

  private final RecordingAllocator alloc = new RecordingAllocator();
  private final EmbeddedChannel ch = new EmbeddedChannel();
  private final Promise<Channel> promise = ch.eventLoop().newPromise();
  private final List<Object> eventsBehind = new ArrayList<>();

  @AfterEach
  void noExceptionEscapedAndNothingLeft() {
    assertThatCode(ch::checkException).doesNotThrowAnyException();
    ch.finishAndReleaseAll();
    alloc.assertAllReleased();
  }

  private static String ascii(String s) {
    return HexFormat.of().formatHex(s.getBytes(StandardCharsets.US_ASCII));
  }

  private String header(Destination d) {
    ByteBuf b = TrojanRequest.connect(alloc, hash(), d);
    String s = ByteBufUtil.hexDump(b);
    b.release();
    return s;
  }

  private static byte[] hash() {
    return TrojanRequest.passwordHash("password");
  }

  @Test
  void thePasswordIsSentAsTheHexOfItsSha224() {
    assertThat(new String(hash(), StandardCharsets.US_ASCII)).isEqualTo(PASSWORD_HASH);
    assertThat(TrojanRequest.passwordHash("pässword")).hasSize(56);
  }

  @Test
  void theHeaderIsHashCrlfCommandAddressCrlf() throws Exception {
    String crlf = "0d0a";
    assertThat(header(TARGET))
        .isEqualTo(
            ascii(PASSWORD_HASH)
                + crlf
                + "01"
                + "03"
                + "0b"
                + ascii("example.org")
                + "01bb"
                + crlf);
    Destination v4 = new Destination(null, InetAddress.getByName("198.51.100.7"), 80);
    assertThat(header(v4))
        .isEqualTo(ascii(PASSWORD_HASH) + crlf + "01" + "01" + "c6336407" + "0050" + crlf);
    Destination v6 = new Destination(null, InetAddress.getByName("2001:db8::1"), 8443);
    assertThat(header(v6))
        .isEqualTo(
            ascii(PASSWORD_HASH)
                + crlf
                + "01"
                + "04"
                + "20010db8000000000000000000000001"
                + "20fb"
                + crlf);
  }

  @Test
  void aNameLongerThanTheEncodingAllowsIsRefusedWithoutALeak() {
    Destination tooLong = new Destination("a".repeat(256), null, 443);
    assertThatThrownBy(() -> TrojanRequest.connect(alloc, hash(), tooLong))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(alloc.count()).isEqualTo(1);
  }

  private void install(Destination d) {
    ch.config().setAllocator(alloc);
    ch.pipeline().addLast(new TrojanHandshake(hash(), d, promise));
    ch.pipeline()
        .addLast(
            new ChannelInboundHandlerAdapter() {
              @Override
              public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                eventsBehind.add(evt);
              }
            });
  }

  @Test
  void theHeaderGoesOutOnlyOnceTlsIsUpThenTheHandshakeLeaves() {
    install(TARGET);
    assertThat((Object) ch.readOutbound()).isNull();
    assertThat(promise.isDone()).isFalse();
    ch.pipeline().fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
    ByteBuf sent = ch.readOutbound();
    assertThat(ByteBufUtil.hexDump(sent)).isEqualTo(header(TARGET));
    sent.release();
    assertThat(promise.isSuccess()).isTrue();
    assertThat(ch.pipeline().get(TrojanHandshake.class)).isNull();
    assertThat(eventsBehind).containsExactly(SslHandshakeCompletionEvent.SUCCESS);
  }

  @Test
  void aFailedTlsHandshakeFailsWithItsCauseAndSendsNothing() {
    install(TARGET);
    SSLHandshakeException cause = new SSLHandshakeException("certificate not trusted");
    ch.pipeline().fireUserEventTriggered(new SslHandshakeCompletionEvent(cause));
    assertThat(promise.cause()).isSameAs(cause);
    assertThat(ch.isOpen()).isFalse();
    assertThat((Object) ch.readOutbound()).isNull();
  }

  @Test
  void otherEventsPassThrough() {
    install(TARGET);
    ch.pipeline().fireUserEventTriggered("something else");
    assertThat(eventsBehind).containsExactly("something else");
    assertThat(promise.isDone()).isFalse();
  }

  @Test
  void aNameTooLongFailsTheConnectInsteadOfThrowingIntoThePipeline() {
    install(new Destination("a".repeat(256), null, 443));
    ch.pipeline().fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
    assertThat(promise.cause()).isInstanceOf(IllegalArgumentException.class);
    assertThat(ch.isOpen()).isFalse();
    assertThat((Object) ch.readOutbound()).isNull();
  }
}
