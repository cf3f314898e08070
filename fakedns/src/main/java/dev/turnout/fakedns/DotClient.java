package dev.turnout.fakedns;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import javax.net.ssl.SSLContext;

/**
 * DNS over TLS (RFC 7858) to one server: 2-byte framed exchanges on kept-alive TLS connections
 * ({@link FramedConnection}, on sockets that carry {@code SO_MARK} in capture-all mode). A query
 * borrows an idle connection (or opens one) and returns it after the answer; a reused connection
 * that fails is replaced once, since the server may have closed it while idle. The server
 * certificate must be valid for the server's IP address (the JDK's trust store unless another
 * {@link SSLContext} is given): the address is all Turnout knows, and it never resolves names to
 * verify. Thread-safe.
 */
final class DotClient {
  private static final int MAX_IDLE = 4;

  private final MarkedChannels channels;
  private final InetSocketAddress server;
  private final SSLContext ssl;
  private final Duration timeout;
  private final ConcurrentLinkedDeque<FramedConnection> idle = new ConcurrentLinkedDeque<>();

  DotClient(MarkedChannels channels, InetSocketAddress server, SSLContext ssl, Duration timeout) {
    this.channels = channels;
    this.server = server;
    this.ssl = ssl;
    this.timeout = timeout;
  }

  CompletableFuture<byte[]> exchange(byte[] query) {
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
    return FramedConnection.connect(channels, server, null, ssl, timeout)
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

  void close() {
    for (FramedConnection c; (c = idle.pollFirst()) != null; ) {
      c.close();
    }
  }
}
