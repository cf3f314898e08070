package dev.turnout.outbound.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.outbound.Channels;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.testing.SelfSigned;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS to a proxy addressed by IP whose self-signed certificate has no subject alternative name and
 * a common name that is not its address, as users of mihomo commonly run them: a pin or {@code
 * skip-cert-verify} takes it (no name or IP check), the wrong pin or neither refuses it. A real
 * Netty TLS server on 127.0.0.1 echoes what it reads and records the server names the hello asked
 * for: none, as an IP literal is never sent as SNI (RFC 6066).
 */
class TlsToAnIpServerTest {
  private static final String SERVER = "127.0.0.1";

  @TempDir Path dir;
  private X509Certificate certificate;
  private Channel server;
  private final CompletableFuture<List<SNIServerName>> askedNames = new CompletableFuture<>();

  @BeforeEach
  void start() throws Exception {
    SelfSigned.write(dir, "proxy.test", null);
    Path cert = dir.resolve("cert.pem");
    certificate =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(cert)));
    assertThat(certificate.getSubjectAlternativeNames()).as("no SAN at all").isNull();
    SslContext context =
        SslContextBuilder.forServer(cert.toFile(), dir.resolve("key.pem").toFile()).build();
    server =
        new ServerBootstrap()
            .group(Channels.loop())
            .channel(EpollServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(context.newHandler(ch.alloc()), new EchoOnce());
                  }
                })
            .bind(new InetSocketAddress(InetAddress.getByName(SERVER), 0))
            .sync()
            .channel();
  }

  @AfterEach
  void stop() {
    server.close().syncUninterruptibly();
  }

  @Test
  void theRightPinTakesTheServerWithoutNameOrAddressCheck() throws Exception {
    Tls tls = tls(false, CertificatePin.digest(certificate));
    assertThat(echo(tls)).isEqualTo("ping");
    assertThat(askedNames.get(30, TimeUnit.SECONDS)).as("no SNI for an IP literal").isEmpty();
  }

  @Test
  void aWrongPinIsRefusedWithThePinMessage() {
    byte[] wrong = new byte[32];
    assertThatThrownBy(() -> echo(tls(false, wrong)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("TLS handshake with " + SERVER + " failed")
        .hasMessageContaining("does not match the pinned fingerprint");
  }

  @Test
  void skipCertVerifyTakesTheServer() throws Exception {
    assertThat(echo(tls(true, null))).isEqualTo("ping");
    assertThat(askedNames.get(30, TimeUnit.SECONDS)).isEmpty();
  }

  @Test
  void neitherPinNorSkipRefusesTheUntrustedCertificate() {
    assertThatThrownBy(() -> echo(tls(false, null)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("TLS handshake with " + SERVER + " failed")
        .hasMessageContaining("unable to find valid certification path");
  }

  @Test
  void theNameIsCheckedUnlessPinnedOrSkipped() throws Exception {
    byte[] pin = CertificatePin.digest(certificate);
    assertThat(nameCheck(tls(false, null))).isEqualTo("HTTPS");
    assertThat(nameCheck(tls(false, pin))).isNull();
    assertThat(nameCheck(tls(true, null))).isNull();
  }

  private static String nameCheck(Tls tls) {
    SSLEngine engine = tls.newHandler(ByteBufAllocator.DEFAULT, 443).engine();
    return engine.getSSLParameters().getEndpointIdentificationAlgorithm();
  }

  private static Tls tls(boolean skipCertVerify, byte[] pin) {
    return new Tls(new Tls.Options(SERVER, skipCertVerify, List.of(), pin));
  }

  /** Connects to the server, opens TLS, sends "ping" and returns what came back until the end. */
  private String echo(Tls tls) throws Exception {
    int port = ((InetSocketAddress) server.localAddress()).getPort();
    Destination to =
        new Destination(null, InetAddress.getByName(SERVER), port, Destination.ANY_LOCAL);
    Channel ch =
        new DirectOutbound(Channels.loopbackDialer())
            .connect(to, Channels.loop())
            .get(30, TimeUnit.SECONDS);
    try {
      try {
        new TlsTransport(tls, port).open(ch).get(30, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        throw (Exception) e.getCause();
      }
      var all = Channels.readAll(ch);
      ch.writeAndFlush(Unpooled.copiedBuffer("ping", StandardCharsets.US_ASCII));
      return new String(
          all.toCompletableFuture().get(30, TimeUnit.SECONDS), StandardCharsets.UTF_8);
    } finally {
      ch.close();
    }
  }

  /** Records the hello's server names, echoes the first bytes read and closes. */
  private final class EchoOnce extends ChannelInboundHandlerAdapter {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof SslHandshakeCompletionEvent done && done.isSuccess()) {
        var session = ctx.pipeline().get(SslHandler.class).engine().getSession();
        askedNames.complete(((ExtendedSSLSession) session).getRequestedServerNames());
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ctx.writeAndFlush((ByteBuf) msg).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a refused handshake: the client's side is what the tests look at
    }
  }
}
