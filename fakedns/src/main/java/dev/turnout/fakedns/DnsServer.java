package dev.turnout.fakedns;

import dev.turnout.netbase.TimeSource;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves DNS on one address over UDP and TCP (same port) with Netty epoll, answering through a
 * {@link FakeDnsHandler}. UDP answers are cut to the client's EDNS size (512 without EDNS) with TC
 * set; TCP uses 2-byte length framing, several queries per connection, and closes connections idle
 * for {@value #IDLE_SECONDS} s. Malformed input is answered FORMERR when its header is readable,
 * otherwise dropped; either way it is counted and logged once per reason.
 *
 * <p>Only this host may query unless {@link Options#allowLan} is set, and remote sources are
 * rate-limited per address over UDP (see {@link SourceGuard}); refused and limited queries are
 * dropped and counted. UDP is served by one {@code SO_REUSEPORT} socket per event loop thread,
 * which reads datagrams in batches (recvmmsg) and sends the answers of a batch together (sendmmsg).
 *
 * <p>Thread-safe. {@link #close()} releases the sockets and the event loop threads.
 */
public final class DnsServer implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(DnsServer.class);
  static final int IDLE_SECONDS = 10;

  /**
   * Each UDP read takes up to {@value #UDP_BATCH} datagrams in one recvmmsg(2), into slots of the
   * largest UDP payload there is (65,527 bytes, over IPv6), so no query is ever cut short: an
   * oversized one is seen whole, as with one recvmsg(2) per datagram. The 1 MiB buffer a read takes
   * goes back to Netty's allocator once the batch is answered (the handler keeps no datagram).
   */
  static final int UDP_SLOT = 65_527;

  static final int UDP_BATCH = 16;

  /**
   * Counters since start. {@code malformed} inputs are also included in {@code queries}; refused
   * and rate-limited ones are not. {@code localAnswers} come from {@code hosts:} or the PTR table;
   * {@code poolExhausted} are A/AAAA queries answered SERVFAIL because every address was pinned.
   */
  public record Stats(
      long queries,
      long fakeAnswers,
      long forwarded,
      long errors,
      long malformed,
      long localAnswers,
      long poolExhausted,
      long refused,
      long rateLimited) {}

  /**
   * Server settings. {@code allowLan}: answer sources other than this host (Clash's {@code
   * allow-lan}). {@code rateLimit}/{@code burst}: queries per second and bucket size per remote
   * source over UDP, 0 for no limit. {@code threads}: event loop threads (and UDP sockets). {@code
   * clients}: see {@link #withClients}.
   */
  public record Options(
      boolean allowLan,
      Predicate<InetAddress> trusted,
      int rateLimit,
      int burst,
      int threads,
      Duration tcpIdle,
      TimeSource timeSource,
      Function<InetSocketAddress, InetAddress> clients) {
    /** Defaults: this host only; 500 queries/s, burst 1000 per remote source. */
    public static Options defaults() {
      return new Options(
          false,
          address -> false,
          500,
          1000,
          Math.max(2, Runtime.getRuntime().availableProcessors()),
          Duration.ofSeconds(IDLE_SECONDS),
          TimeSource.SYSTEM,
          InetSocketAddress::getAddress);
    }

    public Options withAllowLan(boolean allow) {
      return new Options(allow, trusted, rateLimit, burst, threads, tcpIdle, timeSource, clients);
    }

    /**
     * Sources treated like this host (answered without {@code allowLan}, never rate-limited), e.g.
     * the NAT session range from which hijacked DNS queries arrive.
     */
    public Options withTrusted(Predicate<InetAddress> sources) {
      return new Options(
          allowLan,
          Objects.requireNonNull(sources),
          rateLimit,
          burst,
          threads,
          tcpIdle,
          timeSource,
          clients);
    }

    /**
     * Per remote source over UDP; 0 turns the limit off.
     *
     * @throws IllegalArgumentException if either is negative
     */
    public Options withRateLimit(int perSecond, int burstSize) {
      if (perSecond < 0 || burstSize < 0) {
        throw new IllegalArgumentException("rate limit and burst must not be negative");
      }
      return new Options(
          allowLan, trusted, perSecond, burstSize, threads, tcpIdle, timeSource, clients);
    }

    /**
     * Who a query counts against for the fake-IP quota ({@link FakeDnsHandler.Builder
     * #allocationQuota}), from its source: by default the source address; the launcher maps NAT
     * session addresses (hijacked queries) back to the host that sent them.
     */
    public Options withClients(Function<InetSocketAddress, InetAddress> clientOf) {
      return new Options(
          allowLan,
          trusted,
          rateLimit,
          burst,
          threads,
          tcpIdle,
          timeSource,
          Objects.requireNonNull(clientOf));
    }

    Options withTcpIdle(Duration idle) {
      return new Options(allowLan, trusted, rateLimit, burst, threads, idle, timeSource, clients);
    }

    Options withTimeSource(TimeSource t) {
      return new Options(allowLan, trusted, rateLimit, burst, threads, tcpIdle, t, clients);
    }
  }

  private final EventLoopGroup group;
  private final List<Channel> udp;
  private final Channel tcp;
  private final QueryProcessor processor;
  private final SourceGuard guard;

  private DnsServer(
      EventLoopGroup group,
      List<Channel> udp,
      Channel tcp,
      QueryProcessor processor,
      SourceGuard guard) {
    this.group = group;
    this.udp = udp;
    this.tcp = tcp;
    this.processor = processor;
    this.guard = guard;
  }

  /**
   * Binds UDP and TCP on {@code listen} and starts serving. With port 0 an ephemeral port free for
   * both protocols is chosen; see {@link #localAddress()}.
   *
   * @throws UncheckedIOException if either socket cannot be bound (nothing stays open then)
   * @throws UnsatisfiedLinkError if Netty's epoll transport is unavailable
   */
  public static DnsServer start(InetSocketAddress listen, FakeDnsHandler handler) {
    return start(listen, handler, Options.defaults());
  }

  static DnsServer start(InetSocketAddress listen, FakeDnsHandler handler, Duration tcpIdle) {
    return start(listen, handler, Options.defaults().withTcpIdle(tcpIdle));
  }

  /** Like {@link #start(InetSocketAddress, FakeDnsHandler)} with explicit {@code options}. */
  public static DnsServer start(InetSocketAddress listen, FakeDnsHandler handler, Options options) {
    Epoll.ensureAvailability();
    QueryProcessor processor = new QueryProcessor(handler);
    SourceGuard guard =
        new SourceGuard(
            options.allowLan(),
            options.trusted(),
            options.rateLimit(),
            options.burst(),
            options.timeSource());
    Duration tcpIdle = options.tcpIdle();
    int threads = Math.max(1, options.threads());
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            threads, new DefaultThreadFactory("turnout-dns", true), EpollIoHandler.newFactory());
    try {
      UdpQueryHandler udpHandler = new UdpQueryHandler(processor, guard, options.clients());
      Bootstrap udpBoot =
          new Bootstrap()
              .group(group)
              .channel(EpollDatagramChannel.class)
              .option(EpollChannelOption.SO_REUSEPORT, true)
              .option(ChannelOption.SO_RCVBUF, 4 << 20)
              .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, UDP_SLOT)
              .option(
                  ChannelOption.RCVBUF_ALLOCATOR,
                  new FixedRecvByteBufAllocator(UDP_BATCH * UDP_SLOT))
              .handler(udpHandler);
      ServerBootstrap tcpBoot =
          new ServerBootstrap()
              .group(group)
              .channel(EpollServerSocketChannel.class)
              .option(ChannelOption.SO_REUSEADDR, true)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      ch.pipeline()
                          .addLast(
                              new TcpQueryHandler(processor, tcpIdle, guard, options.clients()));
                    }
                  });
      IOException last = null;
      for (int attempt = 0; attempt < (listen.getPort() == 0 ? 10 : 1); attempt++) {
        Channel first = bind(udpBoot.bind(listen));
        InetSocketAddress bound = (InetSocketAddress) first.localAddress();
        List<Channel> udp = new ArrayList<>(List.of(first));
        try {
          Channel tcp = bind(tcpBoot.bind(bound));
          try {
            for (int i = 1; i < threads; i++) {
              udp.add(bind(udpBoot.bind(bound)));
            }
          } catch (IOException e) {
            tcp.close().syncUninterruptibly();
            throw e;
          }
          group.scheduleAtFixedRate(guard::refreshLocalAddresses, 5, 5, TimeUnit.SECONDS);
          log.info(
              "DNS server listening on {} (udp x{}, tcp){}",
              bound,
              udp.size(),
              options.allowLan() ? "; answering LAN clients" : "; answering this host only");
          return new DnsServer(group, List.copyOf(udp), tcp, processor, guard);
        } catch (IOException e) {
          udp.forEach(c -> c.close().syncUninterruptibly());
          last = e;
        }
      }
      throw new UncheckedIOException("cannot bind DNS server on " + listen, last);
    } catch (IOException e) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw new UncheckedIOException("cannot bind DNS server on " + listen, e);
    } catch (RuntimeException e) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw e;
    }
  }

  private static Channel bind(io.netty.channel.ChannelFuture future) throws IOException {
    future.awaitUninterruptibly();
    if (!future.isSuccess()) {
      Throwable cause = future.cause();
      throw cause instanceof IOException io ? io : new IOException(cause);
    }
    return future.channel();
  }

  /** The bound address (UDP and TCP share it). */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) udp.get(0).localAddress();
  }

  /**
   * Answers every query from now on with {@code next} (a reloaded configuration's upstreams, filter
   * and hosts); queries in flight finish with the handler they started with. The sockets stay
   * bound. Counters of the answers restart from the new handler's.
   */
  public void replaceHandler(FakeDnsHandler next) {
    processor.handler(java.util.Objects.requireNonNull(next, "next"));
  }

  /** A snapshot of the counters. */
  public Stats stats() {
    FakeDnsHandler h = processor.handler();
    return new Stats(
        processor.queries.sum(),
        h.fakeAnswers.sum(),
        h.forwarded.sum(),
        h.errors.sum(),
        processor.malformed.sum(),
        h.local.sum(),
        h.exhausted.sum(),
        guard.refused.sum(),
        guard.rateLimited.sum());
  }

  /** Closes both sockets and stops the event loop; in-flight answers are dropped. Idempotent. */
  @Override
  public void close() {
    udp.forEach(c -> c.close().awaitUninterruptibly());
    tcp.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
  }
}
