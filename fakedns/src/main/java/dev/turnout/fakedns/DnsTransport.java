package dev.turnout.fakedns;

import dev.turnout.netbase.TimeSource;
import io.netty.channel.epoll.Epoll;
import java.io.Closeable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.xbill.DNS.io.IoClientFactory;
import org.xbill.DNS.io.TcpIoClient;
import org.xbill.DNS.io.UdpIoClient;

/**
 * What every upstream group shares: one DNS I/O thread and its marked sockets ({@link
 * MarkedChannels}), the TLS settings, the per-server timeout, the {@link UpstreamDialer} for
 * servers reached through an outbound, and one client per distinct server, so that a server named
 * in several lists ({@code nameserver}, {@code nameserver-policy}, {@code fallback}) keeps one
 * DNS-over-TLS or HTTP/2 connection. Queries in flight are bounded per server and in total ({@link
 * InFlightLimit}). Thread-safe. {@link #close} stops the thread and closes every connection;
 * queries made afterwards fail.
 */
public final class DnsTransport implements Closeable {
  private final MarkedChannels channels;
  private final Builder settings; // the TLS context is made on first use: loading it takes time
  private final Duration timeout;
  private final Connector connector;
  private final IoClientFactory io;
  private final Map<String, InFlightLimit.Bounded> clients = new ConcurrentHashMap<>();
  private final Map<String, ServerSource> sources = new ConcurrentHashMap<>();
  private final InetSocketAddress ownServer;
  private final Supplier<List<InetAddress>> systemNameservers;
  private final InFlightLimit inFlight;

  private DnsTransport(Builder b) {
    this.channels = new MarkedChannels(b.soMark, b.markRead);
    this.settings = b;
    this.timeout = b.timeout;
    this.connector = new Connector(channels, b.dialer);
    this.inFlight = new InFlightLimit(b.inFlightPerServer, b.inFlightTotal, b.timeout);
    this.ownServer = b.ownServer;
    this.systemNameservers = b.systemNameservers;
    UdpIoClient udp = new UdpClient(channels);
    TcpIoClient tcp = new TcpClient(channels);
    this.io =
        new IoClientFactory() {
          @Override
          public TcpIoClient createOrGetTcpClient() {
            return tcp;
          }

          @Override
          public UdpIoClient createOrGetUdpClient() {
            return udp;
          }
        };
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The time allowed per server for one query. */
  public Duration timeout() {
    return timeout;
  }

  /** The routing mark of every socket, 0 for none. */
  int mark() {
    return channels.mark();
  }

  /**
   * The client for {@code server}, shared by every group that names it (the first group's {@code
   * bootstrap} resolves its name).
   */
  ServerClient client(Nameserver server, Upstream bootstrap) {
    return limited(server, bootstrap).inner;
  }

  /** {@link #client}, its queries counted against the in-flight bounds: what groups ask. */
  InFlightLimit.Bounded limited(Nameserver server, Upstream bootstrap) {
    return clients.computeIfAbsent(
        server.toString(), key -> inFlight.bound(create(server, bootstrap), server));
  }

  /**
   * A client for a {@link Nameserver#discovered} entry ({@code system}, {@code dhcp://IFACE}) in a
   * group whose forbidden range is {@code forbidden}. Groups naming the same entry share what finds
   * its servers (one DHCP exchange, say), not the client: each skips its own forbidden range.
   */
  InFlightLimit.Bounded discovered(Nameserver server, ForbiddenRange forbidden) {
    ServerSource source = sources.computeIfAbsent(server.toString(), key -> source(server));
    DiscoveredClient client =
        new DiscoveredClient(
            server,
            source,
            a -> !forbidden.contains(a) && !isOwnServer(a),
            (address, query) -> PlainClient.send(address, false, query, io, timeout));
    return inFlight.bound(client, server);
  }

  private ServerSource source(Nameserver server) {
    return server.protocol() == Nameserver.Protocol.SYSTEM
        ? new SystemSource(systemNameservers, TimeSource.SYSTEM, ForkJoinPool.commonPool())
        : new DhcpSource(
            server.host(),
            channels,
            TimeSource.SYSTEM,
            ForkJoinPool.commonPool(),
            DhcpSource.SYS_CLASS_NET,
            new SecureRandom());
  }

  /**
   * Whether port 53 at {@code a} is Turnout's own DNS server: its listen address, or when that is a
   * wildcard, a loopback address.
   */
  private boolean isOwnServer(InetAddress a) {
    if (ownServer == null || ownServer.getPort() != 53) {
      return false;
    }
    InetAddress own = ownServer.getAddress();
    return own.equals(a) || (own.isAnyLocalAddress() && a.isLoopbackAddress());
  }

  /** The bound on queries in flight (counters for tests and stats). */
  InFlightLimit inFlight() {
    return inFlight;
  }

  private ServerClient create(Nameserver server, Upstream bootstrap) {
    if (server.protocol() == Nameserver.Protocol.RCODE) {
      return ServerClient.fixed(server.rcode());
    }
    ServerAddress address = new ServerAddress(server, bootstrap);
    return switch (server.protocol()) {
      case UDP, TCP ->
          server.via() == null
              ? new PlainClient(server, address, io, timeout)
              : new StreamClient(connector, server, address, null, timeout);
      case TLS -> new StreamClient(connector, server, address, settings.sslContext(), timeout);
      case HTTPS -> new DohClient(connector, server, address, settings.sslContext(), timeout);
      case RCODE -> throw new IllegalStateException("handled above");
      case SYSTEM, DHCP -> throw new IllegalStateException("see discovered()");
    };
  }

  /** Closes kept-alive connections; later queries reconnect. */
  public void closeIdleConnections() {
    clients.values().forEach(ServerClient::close);
  }

  @Override
  public void close() {
    closeIdleConnections();
    channels.close();
  }

  /** Configures a {@link DnsTransport}. Not thread-safe; build once. */
  public static final class Builder {
    private int soMark;
    private IntConsumer markRead = mark -> {};
    private SSLContext sslContext;
    private Duration timeout = Duration.ofSeconds(2);
    private UpstreamDialer dialer = UpstreamDialer.NONE;
    private int inFlightPerServer = InFlightLimit.PER_SERVER;
    private int inFlightTotal = InFlightLimit.TOTAL;
    private InetSocketAddress ownServer;
    private Supplier<List<InetAddress>> systemNameservers = SystemNameservers::read;

    private Builder() {}

    /**
     * What {@code system} reads, each time it looks: the host's nameservers. Default {@link
     * SystemNameservers#read}; while Turnout has pointed /etc/resolv.conf at itself, the launcher
     * reads the file it replaced.
     */
    public Builder systemNameservers(Supplier<List<InetAddress>> reader) {
      this.systemNameservers = Objects.requireNonNull(reader);
      return this;
    }

    /**
     * Where Turnout's own DNS server listens: the servers {@code system} finds there are not asked
     * (they would be Turnout asking itself). Default: none.
     */
    public Builder ownServer(InetSocketAddress listen) {
      this.ownServer = listen;
      return this;
    }

    /** Other bounds on queries in flight; for tests. */
    Builder inFlight(int perServer, int total) {
      this.inFlightPerServer = perServer;
      this.inFlightTotal = total;
      return this;
    }

    /**
     * {@code SO_MARK} for every socket opened straight to a server (UDP, TCP, TLS, HTTPS), for
     * capture-all mode: the {@code routing-mark} that an {@code ip rule} sends to the main table,
     * so upstream queries never re-enter the TUN. Setting it needs {@code CAP_NET_ADMIN}. Fails
     * closed: the mark is read back from each socket before anything is sent, and a query whose
     * socket did not take it fails instead of going out unmarked. Default 0: no mark.
     */
    public Builder soMark(int mark) {
      this.soMark = mark;
      return this;
    }

    /** Test hook: told the {@code SO_MARK} read back from every marked socket. */
    Builder markRead(IntConsumer observer) {
      this.markRead = Objects.requireNonNull(observer);
      return this;
    }

    /**
     * TLS settings for {@code tls://} and {@code https://} servers; default: the JVM's default
     * context (the JDK trust store, or {@code javax.net.ssl.trustStore}).
     */
    public Builder sslContext(SSLContext context) {
      this.sslContext = Objects.requireNonNull(context);
      return this;
    }

    /** Total time allowed per server (UDP plus a TCP retry) before trying the next; default 2 s. */
    public Builder timeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive: " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * Carries the connections of servers with a {@code via}; default {@link UpstreamDialer#NONE}.
     */
    public Builder dialer(UpstreamDialer dialer) {
      this.dialer = Objects.requireNonNull(dialer);
      return this;
    }

    private synchronized SSLContext sslContext() {
      if (sslContext == null) {
        try {
          sslContext = SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
          throw new IllegalStateException("no default TLS context", e);
        }
      }
      return sslContext;
    }

    /**
     * Starts the I/O thread. Opens no sockets until the first query.
     *
     * @throws UnsatisfiedLinkError if Netty's native epoll transport cannot be loaded
     */
    public DnsTransport build() {
      Epoll.ensureAvailability();
      return new DnsTransport(this);
    }
  }
}
