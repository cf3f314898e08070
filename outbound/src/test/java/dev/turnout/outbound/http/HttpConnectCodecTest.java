package dev.turnout.outbound.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.RecordingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP CONNECT on bytes: the request each destination produces, and what each reply head does to
 * the handshake, through an EmbeddedChannel, including heads split across reads, malformed, too
 * long or cut short.
 */
class HttpConnectCodecTest {
  private static final Destination TARGET = new Destination("example.org", null, 443);

  private final RecordingAllocator alloc = new RecordingAllocator();
  private final EmbeddedChannel ch = new EmbeddedChannel();
  private final Promise<Channel> promise = ch.eventLoop().newPromise();

  HttpConnectCodecTest() {
    ch.config().setAllocator(alloc);
  }

  @AfterEach
  void noExceptionEscapedAndNothingLeft() {
    assertThatCode(ch::checkException).doesNotThrowAnyException();
    ch.finishAndReleaseAll();
    alloc.assertAllReleased();
  }

  private ByteBuf ascii(String s) {
    return alloc.buffer().writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Adds the handshake and returns the request it sent. */
  private String start(String request) {
    ch.pipeline().addLast(new HttpConnectHandshake(request, promise));
    ByteBuf sent = ch.readOutbound();
    String s = sent.toString(StandardCharsets.ISO_8859_1);
    sent.release();
    return s;
  }

  private String inbound() {
    StringBuilder s = new StringBuilder();
    for (ByteBuf b; (b = ch.readInbound()) != null; ) {
      s.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
    }
    return s.toString();
  }

  @Test
  void requestNamesTheAuthorityTwiceAndAuthorizesWhenAsked() throws Exception {
    assertThat(HttpConnectHandshake.request(TARGET, HttpConnectHandshake.basic("u", "p")))
        .isEqualTo(
            "CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n"
                + "Proxy-Authorization: Basic dTpw\r\n\r\n");
    assertThat(HttpConnectHandshake.basic(null, "ignored")).isNull();
    Destination v4 = new Destination(null, InetAddress.getByName("198.51.100.7"), 80);
    assertThat(HttpConnectHandshake.request(v4, null))
        .isEqualTo("CONNECT 198.51.100.7:80 HTTP/1.1\r\nHost: 198.51.100.7:80\r\n\r\n");
    Destination v6 = new Destination(null, InetAddress.getByName("2001:db8::1"), 8443);
    assertThat(HttpConnectHandshake.request(v6, null))
        .startsWith("CONNECT [2001:db8::1]:8443 HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n");
    // UTF-8 credentials, as curl and browsers send them.
    assertThat(HttpConnectHandshake.basic("ü", "pä")).isEqualTo("Basic w7w6cMOk");
  }

  @Test
  void twoHundredOpensTheTunnelAndTheBytesAfterTheHeadFollow() {
    String request = HttpConnectHandshake.request(TARGET, null);
    assertThat(start(request)).isEqualTo(request);
    ch.writeInbound(
        ascii("HTTP/1.1 200 Connection established\r\nVia: 1.1 proxy\r\nX-A: b\r\n\r\nSSH-2.0"));
    assertThat(promise.isSuccess()).isTrue();
    assertThat(promise.getNow()).isSameAs(ch);
    assertThat(ch.pipeline().get(HttpConnectHandshake.class)).isNull();
    assertThat(inbound()).isEqualTo("SSH-2.0");
    ch.writeInbound(ascii("-more"));
    assertThat(inbound()).isEqualTo("-more");
  }

  @Test
  void anyTwoHundredStatusAndHttp10Will() {
    start("x");
    ch.writeInbound(ascii("HTTP/1.0 204 No Content\r\n\r\n"));
    assertThat(promise.isSuccess()).isTrue();
    assertThat(inbound()).isEmpty();
  }

  @Test
  void proxyAuthenticationRequiredFailsWithTheStatusLineAndCloses() {
    start("x");
    ch.writeInbound(
        ascii(
            "HTTP/1.1 407 Proxy Authentication Required\r\n"
                + "Proxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 3\r\n\r\nno!"));
    assertThat(promise.cause())
        .hasMessage("HTTP proxy refused CONNECT: HTTP/1.1 407 Proxy Authentication Required");
    assertThat(ch.isOpen()).isFalse();
    assertThat(inbound()).isEmpty();
  }

  @Test
  void otherStatusesFailToo() {
    for (String status : new String[] {"HTTP/1.1 502 Bad Gateway", "HTTP/1.1 301 Moved"}) {
      HttpReplyHead head = new HttpReplyHead();
      ByteBuf in = ascii(status + "\r\nLocation: /\r\n\r\n");
      assertThat(head.read(in)).isTrue();
      assertThat(head.refusal()).isEqualTo("HTTP proxy refused CONNECT: " + status);
      in.release();
    }
  }

  @Test
  void aHeadSplitIntoSingleBytesIsReassembledAndTheRestKeepsItsOrder() {
    start("x");
    String head = "HTTP/1.1 200 OK\r\nServer: squid\r\n\r\n";
    for (char c : head.toCharArray()) {
      assertThat(promise.isDone()).isFalse();
      ch.writeInbound(ascii(String.valueOf(c)));
    }
    assertThat(promise.isSuccess()).isTrue();
    ch.writeInbound(ascii("abc"));
    assertThat(inbound()).isEqualTo("abc");
  }

  @Test
  void theHeadEndsOnlyAtTheBlankLine() {
    HttpReplyHead head = new HttpReplyHead();
    ByteBuf in = ascii("HTTP/1.1 200 OK\r\n\r");
    assertThat(head.read(in)).isFalse();
    assertThat(in.isReadable()).isFalse();
    in.release();
    in = ascii("\nrest");
    assertThat(head.read(in)).isTrue();
    assertThat(head.refusal()).isNull();
    assertThat(in.toString(StandardCharsets.ISO_8859_1)).isEqualTo("rest");
    in.release();
  }

  @Test
  void aReplyThatIsNotHttpIsMalformedAndShownInHex() {
    start("x");
    ch.writeInbound(ascii("SSH-2.0-OpenSSH_9.6\r\n\r\n"));
    assertThat(promise.cause())
        .hasMessage("HTTP proxy refused CONNECT: malformed reply 5353482d322e302d4f70656e5353485f");
    assertThat(ch.isOpen()).isFalse();
    for (String bad : new String[] {"HTTP/1.1 abc OK\r\n\r\n", "\r\n\r\n", "HTTP/2 200\r\n\r\n"}) {
      HttpReplyHead head = new HttpReplyHead();
      ByteBuf in = ascii(bad);
      assertThat(head.read(in)).isTrue();
      assertThat(head.refusal()).as(bad).startsWith("HTTP proxy refused CONNECT: malformed reply");
      in.release();
    }
  }

  @Test
  void aHeadLongerThanTheLimitFailsWithoutReadingOn() {
    start("x");
    ByteBuf huge = ascii("HTTP/1.1 200 OK\r\nX: " + "a".repeat(HttpReplyHead.MAX) + "\r\n\r\n");
    ch.writeInbound(huge);
    assertThat(promise.cause()).hasMessage("HTTP proxy reply head longer than 16384");
    assertThat(ch.isOpen()).isFalse();
    assertThat(huge.refCnt()).isZero();
    // A head of exactly the limit is still read.
    HttpReplyHead head = new HttpReplyHead();
    String prefix = "HTTP/1.1 200 OK\r\nX: ";
    ByteBuf max = ascii(prefix + "a".repeat(HttpReplyHead.MAX - prefix.length() - 4) + "\r\n\r\n");
    assertThat(head.read(max)).isTrue();
    assertThat(head.refusal()).isNull();
    max.release();
  }

  @Test
  void aHeadCutShortByTheProxyClosingFails() {
    start("x");
    ch.writeInbound(ascii("HTTP/1.1 200 Connection est"));
    assertThat(promise.isDone()).isFalse();
    ch.close();
    assertThat(promise.cause()).hasMessage("HTTP proxy closed the connection during CONNECT");
  }
}
