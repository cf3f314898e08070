package dev.turnout.fakedns;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.xbill.DNS.Message;

/**
 * DNS over HTTPS (RFC 8484) to one server with Netty: TLS offering h2 and http/1.1 by ALPN, then
 * one HTTP/2 connection carrying every query as a stream ({@link Http2Session}), or for a server
 * that only speaks HTTP/1.1, kept-alive connections used one query at a time ({@link
 * Http1Session}). Connections come from {@link Connector}, so they carry {@code SO_MARK} (checked,
 * fail closed) or go through an outbound: no name is resolved by anyone but Turnout, and no socket
 * leaves unmarked with auto-route.
 *
 * <p>At most {@value #MAX_IN_FLIGHT} queries per server are in flight; more fail at once (the
 * upstream group then asks its next server). A query on a reused connection that fails, other than
 * by timing out, is retried once on a fresh one, since the server may have closed it while idle.
 * Thread-safe.
 */
final class DohClient implements ServerClient {
  static final int MAX_IN_FLIGHT = 64;
  private static final int MAX_IDLE = 4;

  private final Connector connector;
  private final Nameserver server;
  private final ServerAddress address;
  private final SSLContext ssl;
  private final Duration timeout;
  private final String authority;
  private final int maxInFlight;
  private final AtomicInteger inFlight = new AtomicInteger();

  /** Connections opened so far that negotiated HTTP/2, and HTTP/1.1; for tests and logs. */
  final AtomicInteger http2Connections = new AtomicInteger();

  final AtomicInteger http1Connections = new AtomicInteger();
  private final Object lock = new Object();
  private DohSession shared; // guarded by lock: the HTTP/2 connection, or null
  private CompletableFuture<DohSession> opening; // guarded by lock
  private final Deque<DohSession> idle = new ArrayDeque<>(); // guarded by lock: HTTP/1.1 only

  /** A session for one query, and whether it was in use before (so may be stale). */
  private record Lease(DohSession session, boolean reused) {}

  DohClient(
      Connector connector,
      Nameserver server,
      ServerAddress address,
      SSLContext ssl,
      Duration timeout) {
    this(connector, server, address, ssl, timeout, MAX_IN_FLIGHT);
  }

  /** With another bound on queries in flight; for tests. */
  DohClient(
      Connector connector,
      Nameserver server,
      ServerAddress address,
      SSLContext ssl,
      Duration timeout,
      int maxInFlight) {
    this.maxInFlight = maxInFlight;
    this.connector = connector;
    this.server = server;
    this.address = address;
    this.ssl = ssl;
    this.timeout = timeout;
    this.authority = server.hostForUrl() + (server.port() == 443 ? "" : ":" + server.port());
  }

  @Override
  public CompletableFuture<Message> send(Message query) {
    return ServerClient.overBytes(query, this::exchange);
  }

  private CompletableFuture<byte[]> exchange(byte[] query) {
    if (inFlight.incrementAndGet() > maxInFlight) {
      inFlight.decrementAndGet();
      return CompletableFuture.failedFuture(
          new IOException(maxInFlight + " queries already in flight to " + server));
    }
    CompletableFuture<byte[]> result =
        lease()
            .thenCompose(
                lease ->
                    lease
                        .session()
                        .exchange(query, timeout)
                        .whenComplete((answer, error) -> release(lease.session()))
                        .exceptionallyCompose(
                            error -> retryFresh(lease, Upstream.unwrap(error), query)));
    return result.whenComplete((answer, error) -> inFlight.decrementAndGet());
  }

  private CompletableFuture<byte[]> retryFresh(Lease lease, Throwable error, byte[] query) {
    if (!lease.reused() || error instanceof SocketTimeoutException) {
      return CompletableFuture.failedFuture(error);
    }
    return open()
        .thenCompose(
            session ->
                session.exchange(query, timeout).whenComplete((answer, e) -> release(session)));
  }

  /**
   * The HTTP/2 connection if there is one, else an idle HTTP/1.1 one, else a new connection; a
   * query that arrives while the first connection is being set up waits for it, and shares it if it
   * turns out to be HTTP/2.
   */
  private CompletableFuture<Lease> lease() {
    CompletableFuture<DohSession> pending;
    synchronized (lock) {
      if (shared != null && shared.isOpen()) {
        return CompletableFuture.completedFuture(new Lease(shared, true));
      }
      shared = null;
      for (DohSession s; (s = idle.pollFirst()) != null; ) {
        if (s.isOpen()) {
          return CompletableFuture.completedFuture(new Lease(s, true));
        }
      }
      if (opening == null) {
        CompletableFuture<DohSession> started = open();
        opening = started;
        started.whenComplete(
            (session, error) -> {
              synchronized (lock) {
                opening = null;
                if (session != null && session.multiplexes()) {
                  shared = session;
                }
              }
            });
        return started.thenApply(session -> new Lease(session, false));
      }
      pending = opening;
    }
    return pending.thenCompose(
        session ->
            session.multiplexes()
                ? CompletableFuture.completedFuture(new Lease(session, false))
                : open().thenApply(own -> new Lease(own, false)));
  }

  /**
   * Gives a session back: an HTTP/1.1 one to the idle list, an HTTP/2 one (opened for a retry)
   * becomes the shared connection if there is none; anything else is closed.
   */
  private void release(DohSession session) {
    synchronized (lock) {
      if (session.multiplexes()) {
        if (shared == session) {
          return;
        }
        if ((shared == null || !shared.isOpen()) && session.isOpen()) {
          shared = session;
          return;
        }
      } else if (session.isOpen() && idle.size() < MAX_IDLE) {
        idle.addFirst(session);
        return;
      }
    }
    session.close();
  }

  /** Connects, runs TLS with ALPN and starts the session the server chose. */
  private CompletableFuture<DohSession> open() {
    return address
        .resolve()
        .thenCompose(a -> connector.connect(server, a, timeout))
        .thenCompose(this::negotiate);
  }

  private CompletableFuture<DohSession> negotiate(Channel ch) {
    CompletableFuture<DohSession> result = new CompletableFuture<>();
    ch.eventLoop()
        .execute(
            () -> {
              SslHandler tls =
                  TlsEngines.client(ssl, server.host(), server.port(), timeout, "h2", "http/1.1");
              ch.pipeline().addLast(tls, new Alpn(tls, result));
              ch.config().setAutoRead(true);
            });
    result.whenComplete(
        (session, error) -> {
          if (error != null) {
            ch.close();
          }
        });
    return result;
  }

  /** Waits for the TLS handshake, then starts HTTP/2 or HTTP/1.1 as ALPN says, and leaves. */
  private final class Alpn extends ChannelInboundHandlerAdapter {
    private final SslHandler tls;
    private final CompletableFuture<DohSession> result;

    Alpn(SslHandler tls, CompletableFuture<DohSession> result) {
      this.tls = tls;
      this.result = result;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (!(evt instanceof SslHandshakeCompletionEvent done)) {
        ctx.fireUserEventTriggered(evt);
        return;
      }
      if (!done.isSuccess()) {
        // This handler stays: SslHandler fires the same failure as an exception next, which
        // would otherwise reach the pipeline's tail and be logged with its stack by Netty.
        result.completeExceptionally(
            new IOException("TLS with " + server + " failed: " + done.cause(), done.cause()));
        ctx.close();
        return;
      }
      ctx.pipeline().remove(this);
      String path = server.path();
      String name = server.toString();
      String protocol = tls.engine().getApplicationProtocol();
      try {
        boolean h2 = "h2".equals(protocol);
        (h2 ? http2Connections : http1Connections).incrementAndGet();
        result.complete(
            h2
                ? Http2Session.start(ctx.channel(), name, authority, path)
                : Http1Session.start(ctx.channel(), name, authority, path));
      } catch (RuntimeException e) {
        result.completeExceptionally(new CompletionException(e));
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      result.completeExceptionally(new IOException(server + " closed the connection"));
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      result.completeExceptionally(
          cause instanceof IOException ? cause : new IOException(cause.toString(), cause));
      ctx.close();
    }
  }

  @Override
  public void close() {
    synchronized (lock) {
      if (shared != null) {
        shared.close();
        shared = null;
      }
      for (DohSession s; (s = idle.pollFirst()) != null; ) {
        s.close();
      }
    }
  }

  @Override
  public String toString() {
    return server.toString();
  }
}
