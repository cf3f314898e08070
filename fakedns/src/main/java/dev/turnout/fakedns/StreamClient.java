package dev.turnout.fakedns;

import io.netty.handler.ssl.SslHandler;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.xbill.DNS.Message;

/**
 * DNS over TLS (RFC 7858), or plain DNS over TCP to a server reached through an outbound: 2-byte
 * framed exchanges on kept-alive connections ({@link FramedConnection} on channels from {@link
 * Connector}). A query borrows an idle connection (or opens one) and returns it after the answer; a
 * reused connection that fails is replaced once, since the server may have closed it while idle.
 * With TLS the certificate must be valid for the server as configured (see {@link TlsEngines}).
 * Thread-safe.
 */
final class StreamClient implements ServerClient {
  private static final int MAX_IDLE = 4;

  private final Connector connector;
  private final Nameserver server;
  private final ServerAddress address;
  private final SSLContext ssl; // null: plain TCP
  private final Duration timeout;
  private final ConcurrentLinkedDeque<FramedConnection> idle = new ConcurrentLinkedDeque<>();

  StreamClient(
      Connector connector,
      Nameserver server,
      ServerAddress address,
      SSLContext ssl,
      Duration timeout) {
    this.connector = connector;
    this.server = server;
    this.address = address;
    this.ssl = ssl;
    this.timeout = timeout;
  }

  @Override
  public CompletableFuture<Message> send(Message query) {
    return ServerClient.overBytes(query, this::exchange);
  }

  private CompletableFuture<byte[]> exchange(byte[] query) {
    FramedConnection reused;
    while ((reused = idle.pollFirst()) != null && !reused.isOpen()) {
      // closed by the server while idle
    }
    if (reused == null) {
      return fresh(query);
    }
    FramedConnection connection = reused;
    return connection
        .exchange(query, timeout)
        .thenApply(answer -> keep(connection, answer))
        .exceptionallyCompose(error -> fresh(query)); // stale keep-alive connection
  }

  private CompletableFuture<byte[]> fresh(byte[] query) {
    Supplier<SslHandler> tls =
        ssl == null ? null : () -> TlsEngines.client(ssl, server.host(), server.port(), timeout);
    return FramedConnection.over(
            address.resolve().thenCompose(a -> connector.connect(server, a, timeout)), tls)
        .thenCompose(
            connection ->
                connection.exchange(query, timeout).thenApply(answer -> keep(connection, answer)));
  }

  private byte[] keep(FramedConnection connection, byte[] answer) {
    if (idle.size() < MAX_IDLE) {
      idle.addFirst(connection);
    } else {
      connection.close();
    }
    return answer;
  }

  @Override
  public void close() {
    for (FramedConnection c; (c = idle.pollFirst()) != null; ) {
      c.close();
    }
  }
}
