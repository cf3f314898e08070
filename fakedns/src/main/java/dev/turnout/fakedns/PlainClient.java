package dev.turnout.fakedns;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.xbill.DNS.Message;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.io.IoClientFactory;

/**
 * Plain DNS straight to one server, over UDP with a TCP retry of truncated answers (or over TCP
 * only for {@code tcp://}), through dnsjava's {@link SimpleResolver} on Turnout's marked sockets
 * ({@link UdpClient}, {@link TcpClient}). A resolver is made per query for the server's current
 * address: it is a few fields, and the address of a server given by name may change. Only explicit
 * addresses are given to dnsjava, so its system {@code ResolverConfig} is never consulted.
 * Thread-safe.
 */
final class PlainClient implements ServerClient {
  private static final Executor DIRECT = Runnable::run;

  private final Nameserver server;
  private final ServerAddress address;
  private final IoClientFactory io;
  private final Duration timeout;

  PlainClient(Nameserver server, ServerAddress address, IoClientFactory io, Duration timeout) {
    this.server = server;
    this.address = address;
    this.io = io;
    this.timeout = timeout;
  }

  @Override
  public CompletableFuture<Message> send(Message query) {
    return address.resolve().thenCompose(a -> send(a, server.tcp(), query, io, timeout));
  }

  /** Sends {@code query} to the server at {@code a}, over TCP only when {@code tcp}. */
  static CompletableFuture<Message> send(
      InetSocketAddress a, boolean tcp, Message query, IoClientFactory io, Duration timeout) {
    SimpleResolver r = new SimpleResolver(a);
    r.setTCP(tcp);
    r.setTimeout(timeout);
    r.setIoClientFactory(io);
    return r.sendAsync(query, DIRECT).toCompletableFuture();
  }
}
