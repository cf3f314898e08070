package dev.turnout.outbound.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.Promise;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateException;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * TLS as a transport, on an EmbeddedChannel with the TLS handshake's outcome played in as the event
 * the TLS handler fires: the transport is open only once TLS is up, a failed handshake fails it
 * with a message naming the server and the cause. And the certificate pin on real certificates.
 */
class TlsTransportTest {
  private final EmbeddedChannel ch = new EmbeddedChannel();
  private final Promise<Void> ready = ch.eventLoop().newPromise();
  private final List<Object> eventsBehind = new ArrayList<>();

  @AfterEach
  void noExceptionEscaped() {
    assertThatCode(ch::checkException).doesNotThrowAnyException();
    ch.finishAndReleaseAll();
  }

  private void install() {
    ch.pipeline().addLast(new TlsTransport.Ready("proxy.test", ready));
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
  void openOnlyOnceTlsIsUpThenTheWaiterLeaves() {
    install();
    assertThat(ready.isDone()).isFalse();
    ch.pipeline().fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
    assertThat(ready.isSuccess()).isTrue();
    assertThat(ch.pipeline().get(TlsTransport.Ready.class)).isNull();
    assertThat(eventsBehind).containsExactly(SslHandshakeCompletionEvent.SUCCESS);
  }

  @Test
  void aFailedTlsHandshakeFailsTheOpenWithServerAndCauseAndCloses() {
    install();
    SSLHandshakeException cause = new SSLHandshakeException("certificate not trusted");
    ch.pipeline().fireUserEventTriggered(new SslHandshakeCompletionEvent(cause));
    assertThat(ready.cause())
        .hasMessageContaining("proxy.test")
        .hasMessageContaining("certificate not trusted")
        .hasCause(cause);
    assertThat(ch.isOpen()).isFalse();
    assertThat((Object) ch.readOutbound()).isNull();
  }

  @Test
  void anExceptionDuringTheHandshakeFailsTheOpenAndStopsThere() {
    install();
    ch.pipeline().fireExceptionCaught(new SSLHandshakeException("no cipher in common"));
    assertThat(ready.cause()).hasMessageContaining("no cipher in common");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void otherEventsPassThrough() {
    install();
    ch.pipeline().fireUserEventTriggered("something else");
    assertThat(eventsBehind).containsExactly("something else");
    assertThat(ready.isDone()).isFalse();
  }

  @Test
  void theServerClosingDuringTheHandshakeFailsTheOpen() {
    install();
    ch.close();
    assertThat(ready.cause()).hasMessageContaining("closed the connection during the TLS");
  }

  @Test
  void aPinAcceptsOnlyTheCertificateWithThatDigest() throws Exception {
    var cert = Certificates.selfSigned("pinned.test", KeyPairGenerator.getInstance("EC"));
    var other = Certificates.selfSigned("other.test", KeyPairGenerator.getInstance("EC"));
    CertificatePin pin = new CertificatePin(CertificatePin.digest(cert));
    assertThatCode(
            () -> pin.checkServerTrusted(new java.security.cert.X509Certificate[] {cert}, "EC"))
        .doesNotThrowAnyException();
    assertThatCode(
            () ->
                pin.checkServerTrusted(
                    new java.security.cert.X509Certificate[] {other, cert}, "EC"))
        .doesNotThrowAnyException();
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> pin.checkServerTrusted(new java.security.cert.X509Certificate[] {other}, "EC"))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("pinned fingerprint");
  }
}
