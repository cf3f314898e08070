package dev.turnout.outbound.tls;

import dev.turnout.outbound.HeldInbound;
import dev.turnout.outbound.Transport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;

/**
 * TLS as a {@link Transport}: adds the {@link SslHandler} and {@link TlsEof}, and is open once the
 * handshake succeeded. A failed handshake (untrusted or mismatched certificate, no common cipher,
 * the server closing) fails the open with a message naming the server name and the cause. Stateless
 * apart from its {@link Tls}; thread-safe.
 */
public final class TlsTransport implements Transport {
  private final Tls tls;
  private final int port;

  /**
   * @param port the proxy's port, for the TLS session cache
   */
  public TlsTransport(Tls tls, int port) {
    this.tls = tls;
    this.port = port;
  }

  @Override
  public Future<Void> open(Channel ch) {
    return Transport.onLoop(ch, this::start);
  }

  private void start(Channel ch, Promise<Void> ready) {
    SslHandler ssl = tls.newHandler(ch.alloc(), port);
    HeldInbound.addBefore(ch, ssl);
    HeldInbound.addBefore(ch, new TlsEof());
    HeldInbound.addBefore(ch, new Ready(tls.serverName(), ready));
    // Read from the TLS handler's place: a read from the tail would release held bytes early.
    ch.pipeline().context(ssl).read();
  }

  /**
   * Completes {@code ready} when the TLS handshake ends: leaves the pipeline on success; on failure
   * closes the channel and stays to absorb the exception the TLS handler fires as well.
   * Package-private for its EmbeddedChannel test.
   */
  static final class Ready extends ChannelInboundHandlerAdapter {
    private final String serverName;
    private final Promise<Void> ready;

    Ready(String serverName, Promise<Void> ready) {
      this.serverName = serverName;
      this.ready = ready;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof SslHandshakeCompletionEvent done) {
        if (done.isSuccess()) {
          ctx.pipeline().remove(this);
          ready.trySuccess(null);
        } else {
          // Stays, to take the same failure as an exception too (the TLS handler fires both).
          ready.tryFailure(
              new IOException(
                  "TLS handshake with " + serverName + " failed: " + message(done.cause()),
                  done.cause()));
          ctx.close();
        }
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      ready.tryFailure(new IOException("server closed the connection during the TLS handshake"));
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // Until removed on success, every exception is the handshake's: the open fails with it.
      ready.tryFailure(
          new IOException(
              "TLS handshake with " + serverName + " failed: " + message(cause), cause));
      ctx.close();
    }

    private static String message(Throwable t) {
      Throwable root = t;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      return root.getMessage() != null ? root.getMessage() : root.toString();
    }
  }
}
