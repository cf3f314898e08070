package dev.turnout.fakedns;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.xbill.DNS.Message;
import org.xbill.DNS.io.TcpIoClient;

/**
 * DNS over TCP for dnsjava's {@code SimpleResolver}: one short connection per query on a socket
 * from {@link MarkedChannels} (so it carries {@code SO_MARK} in capture-all mode). Used instead of
 * dnsjava 3.7.1's {@code NioTcpClient}, which cannot mark its sockets and, after one query, made
 * later UDP queries on dnsjava's shared selector time out here (reproduced against dnsmasq and the
 * test upstream; see UpstreamTest). TCP is the rare path (truncated answers, {@code tcp://}
 * servers), so a connection per query is acceptable. Thread-safe.
 */
final class TcpClient implements TcpIoClient {
  private final MarkedChannels channels;

  TcpClient(MarkedChannels channels) {
    this.channels = channels;
  }

  @Override
  public CompletableFuture<byte[]> sendAndReceiveTcp(
      InetSocketAddress local,
      InetSocketAddress remote,
      Message query,
      byte[] data,
      Duration timeout) {
    // local is always null: SimpleResolver binds nothing unless told to, and we never tell it
    return FramedConnection.over(channels.connect(remote, timeout), null)
        .thenCompose(
            connection ->
                connection
                    .exchange(data, timeout)
                    .whenComplete((answer, error) -> connection.close()));
  }
}
