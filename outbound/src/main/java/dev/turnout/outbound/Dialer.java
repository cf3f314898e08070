package dev.turnout.outbound;

import dev.turnout.netbase.HostResolver;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.MarkedSockets;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Opens every socket Turnout dials out with: DIRECT connections and connections to upstream proxy
 * servers. Names go through Turnout's own {@link HostResolver}; the returned addresses are raced
 * Happy-Eyeballs style (families interleaved, a new attempt every {@value #STAGGER_MILLIS} ms until
 * one connects). Addresses {@code forbidden} accepts (Turnout's TUN range, its own listeners) are
 * never dialed. DIRECT destinations ({@link #dial(Destination, EventLoop)}) are further refused
 * this host's own addresses ({@code local}: loopback, unspecified, its interfaces) unless their
 * {@link Destination#localPermit} lets them through; proxy servers may be local. When a routing
 * mark or interface is configured, each socket gets it before connect through {@link
 * MarkedSockets}, which reads the mark back: a socket that does not carry it is closed and the dial
 * fails, so marked traffic can never leak onto Turnout's own routes.
 *
 * <p>Channels are returned connected, with auto-read off, TCP_NODELAY and half-closure on, and a
 * pipeline holding only a {@link HeldInbound} (named {@value #HELD}) that keeps anything read
 * before the caller's first {@code read()}. Thread-safe.
 */
public final class Dialer {
  static final int STAGGER_MILLIS = 250;
  private static final IntegerUnixChannelOption IPV6_V6ONLY =
      new IntegerUnixChannelOption("IPV6_V6ONLY", 41, 26); // IPPROTO_IPV6, IPV6_V6ONLY
  static final String HELD = "held-inbound";

  private final HostResolver resolver;
  private final Predicate<InetAddress> forbidden;
  private final Predicate<InetAddress> local;
  private final MarkedSockets marking;
  private final int connectTimeoutMillis;

  /**
   * @param forbidden addresses never dialed, whatever for
   * @param local this host's own addresses: DIRECT destinations only where permitted
   * @param routingMark SO_MARK for every socket, or 0 for none
   * @param interfaceName device to bind every socket to (SO_BINDTODEVICE), or null
   */
  public Dialer(
      HostResolver resolver,
      Predicate<InetAddress> forbidden,
      Predicate<InetAddress> local,
      int routingMark,
      String interfaceName,
      int connectTimeoutMillis) {
    if (connectTimeoutMillis <= 0) {
      throw new IllegalArgumentException("connect timeout must be positive");
    }
    this.resolver = resolver;
    this.forbidden = forbidden;
    this.local = local;
    this.marking = new MarkedSockets(routingMark, interfaceName);
    this.connectTimeoutMillis = connectTimeoutMillis;
  }

  /** Treats no address as this host's own: for tests and checks that dial nothing real. */
  public Dialer(
      HostResolver resolver,
      Predicate<InetAddress> forbidden,
      int routingMark,
      String interfaceName,
      int connectTimeoutMillis) {
    this(resolver, forbidden, a -> false, routingMark, interfaceName, connectTimeoutMillis);
  }

  public Dialer(HostResolver resolver, Predicate<InetAddress> forbidden) {
    this(resolver, forbidden, 0, null, 10_000);
  }

  /**
   * A dialer like this one in every way (resolver, forbidden and local addresses, routing mark,
   * timeout) but whose sockets are bound to {@code device}: a proxy's own {@code interface-name}.
   */
  public Dialer withInterface(String device) {
    return new Dialer(resolver, forbidden, local, marking.mark(), device, connectTimeoutMillis);
  }

  /**
   * A dialer like this one (resolver, routing mark, timeout) that may reach anything on this host,
   * Turnout's own addresses included, and binds to no device: only for Turnout's own services, such
   * as the DNS server that {@link DnsOutbound} hands queries to.
   */
  public Dialer toThisHost() {
    return new Dialer(resolver, a -> false, a -> false, marking.mark(), null, connectTimeoutMillis);
  }

  /** The SO_MARK every socket carries, 0 for none. */
  public int routingMark() {
    return marking.mark();
  }

  /**
   * A dialer like this one (resolver, forbidden addresses, routing mark, timeout) whose sockets are
   * bound to {@code device} instead: for tunnels whose plaintext side is a device of Turnout's own.
   */
  public Dialer onDevice(String device) {
    return new Dialer(resolver, forbidden, marking.mark(), device, connectTimeoutMillis);
  }

  /** False for addresses Turnout must never send to (its own TUN range and listeners). */
  public boolean allowed(InetAddress address) {
    return !forbidden.test(address);
  }

  /** False for addresses DIRECT must not send to for {@code destination}: see {@link #dial}. */
  public boolean allowedDirect(InetAddress address, Destination destination) {
    return refusal(address, destination.localPermit()) == null;
  }

  /** Why {@code address} may not be dialed, or null if it may. */
  private String refusal(InetAddress address, Predicate<InetAddress> localPermit) {
    if (forbidden.test(address)) {
      return "inside Turnout's own range or listeners";
    }
    if (localPermit != null && local.test(address) && !localPermit.test(address)) {
      return "this host's own address (a rule such as IP-CIDR,"
          + address.getHostAddress()
          + (address instanceof Inet6Address ? "/128" : "/32")
          + ",DIRECT allows it)";
    }
    return null;
  }

  /**
   * Dials a DIRECT destination: as {@link #dial(String, InetAddress, int, EventLoop)}, and also
   * refusing this host's own addresses unless the destination permits them, whether they were
   * given, resolved or written as a literal name.
   */
  public Future<Channel> dial(Destination destination, EventLoop loop) {
    return dial(
        destination.host(),
        destination.address(),
        destination.port(),
        loop,
        destination.localPermit());
  }

  public int connectTimeoutMillis() {
    return connectTimeoutMillis;
  }

  /**
   * Resolves (unless {@code address} is given) and connects to the first address that answers: for
   * proxy servers and the configuration's own downloads, which may be on this host.
   */
  public Future<Channel> dial(String host, InetAddress address, int port, EventLoop loop) {
    return dial(host, address, port, loop, null);
  }

  /** {@code localPermit} null: this host's own addresses are not checked. */
  private Future<Channel> dial(
      String host,
      InetAddress address,
      int port,
      EventLoop loop,
      Predicate<InetAddress> localPermit) {
    Promise<Channel> promise = loop.newPromise();
    if (address != null) {
      // On the loop: run from another thread, the race would add its HeldInbound in a task queued
      // behind the loop's own I/O, and a server that speaks and closes at once would have its
      // bytes read into a pipeline with nobody to hold them (and Netty 4.2.18 then drops the
      // socket from epoll while still counting it registered, so the next read fails).
      if (loop.inEventLoop()) {
        race(List.of(address), port, loop, promise, localPermit);
      } else {
        loop.execute(() -> race(List.of(address), port, loop, promise, localPermit));
      }
      return promise;
    }
    resolve(host, loop)
        .addListener(
            f -> {
              if (f.isSuccess()) {
                @SuppressWarnings("unchecked")
                List<InetAddress> addresses = (List<InetAddress>) f.getNow();
                race(addresses, port, loop, promise, localPermit);
              } else {
                promise.tryFailure(f.cause());
              }
            });
    return promise;
  }

  /**
   * Resolves a name (or parses a literal) through Turnout's resolver, completing on {@code loop}.
   */
  public Future<List<InetAddress>> resolve(String host, EventLoop loop) {
    Promise<List<InetAddress>> promise = loop.newPromise();
    InetAddress literal = IpLiterals.parseHostOrNull(host);
    if (literal != null) {
      return promise.setSuccess(List.of(literal));
    }
    resolver
        .resolve(host)
        .whenComplete(
            (addresses, error) -> {
              if (error != null) {
                promise.tryFailure(error);
              } else if (addresses.isEmpty()) {
                promise.tryFailure(new IOException("no address for " + host));
              } else {
                promise.trySuccess(addresses);
              }
            });
    return promise;
  }

  private void race(
      List<InetAddress> resolved,
      int port,
      EventLoop loop,
      Promise<Channel> result,
      Predicate<InetAddress> localPermit) {
    List<InetAddress> allowed = new ArrayList<>();
    String refused = null;
    for (InetAddress a : resolved) {
      String why = refusal(a, localPermit);
      if (why != null) {
        refused = "refusing to dial " + a.getHostAddress() + ": " + why;
      } else {
        allowed.add(a);
      }
    }
    if (allowed.isEmpty()) {
      result.tryFailure(
          new ConnectException(refused == null ? "no address to connect to" : refused));
      return;
    }
    new Race(interleave(allowed), port, loop, result).next();
  }

  /** Alternates address families, keeping the resolver's preference for the first. */
  static List<InetAddress> interleave(List<InetAddress> addresses) {
    List<InetAddress> first = new ArrayList<>();
    List<InetAddress> second = new ArrayList<>();
    boolean firstIs6 = addresses.get(0) instanceof Inet6Address;
    for (InetAddress a : addresses) {
      ((a instanceof Inet6Address) == firstIs6 ? first : second).add(a);
    }
    List<InetAddress> out = new ArrayList<>(addresses.size());
    for (int i = 0; i < Math.max(first.size(), second.size()); i++) {
      if (i < first.size()) {
        out.add(first.get(i));
      }
      if (i < second.size()) {
        out.add(second.get(i));
      }
    }
    return out;
  }

  /** One Happy-Eyeballs race; runs on its event loop only. */
  private final class Race {
    private final List<InetAddress> addresses;
    private final int port;
    private final EventLoop loop;
    private final Promise<Channel> result;
    private final List<Channel> pending = new ArrayList<>();
    private int started;
    private int failed;
    private Throwable lastError;
    private ScheduledFuture<?> stagger;

    Race(List<InetAddress> addresses, int port, EventLoop loop, Promise<Channel> result) {
      this.addresses = addresses;
      this.port = port;
      this.loop = loop;
      this.result = result;
    }

    void next() {
      if (result.isDone() || started >= addresses.size()) {
        return;
      }
      InetAddress address = addresses.get(started++);
      if (started < addresses.size()) {
        stagger = loop.schedule(this::next, STAGGER_MILLIS, TimeUnit.MILLISECONDS);
      }
      Future<Channel> attempt = connect(new InetSocketAddress(address, port), loop);
      attempt.addListener(
          f -> {
            if (f.isSuccess()) {
              Channel ch = (Channel) f.getNow();
              // Epoll may read on a peer's early FIN even with auto-read off, and proxies may
              // send stream bytes with their handshake reply: both wait here for the caller.
              ch.pipeline().addLast(HELD, new HeldInbound());
              if (!result.trySuccess(ch)) {
                ch.close();
              }
              if (stagger != null) {
                stagger.cancel(false);
              }
            } else {
              lastError = f.cause();
              if (++failed == addresses.size()) {
                result.tryFailure(lastError);
              } else if (failed == started) {
                // Nothing in flight: do not wait for the stagger timer.
                if (stagger != null) {
                  stagger.cancel(false);
                }
                next();
              }
            }
          });
    }
  }

  /** Connects one TCP socket, applying and verifying the mark and device before connect. */
  Future<Channel> connect(InetSocketAddress remote, EventLoop loop) {
    Bootstrap tcp =
        new Bootstrap()
            .group(loop)
            .channel(EpollSocketChannel.class)
            .option(ChannelOption.AUTO_READ, false) // Netty's epoll sets TCP_NODELAY itself
            .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis);
    return openSafely(tcp, ch -> ch.connect(remote));
  }

  /** The largest datagram a socket of {@link #openDatagram} reads whole: any UDP payload. */
  public static final int MAX_DATAGRAM = 65536;

  /**
   * Opens a UDP socket bound to the wildcard address of {@code family}, marked like TCP ones. An
   * IPv6 one is dual-stack: it reaches IPv4 destinations too, as IPv4-mapped addresses. Fails when
   * the host has no IPv6. Every datagram is read whole, up to {@link #MAX_DATAGRAM} bytes (Netty's
   * default buffer of 2,048 bytes cut longer ones: a SOCKS5 relay's reply arrived short, and a
   * Shadowsocks one would fail its tag), into a buffer of that size from the pool: whoever keeps a
   * datagram copies it to its own size first.
   */
  public Future<Channel> openDatagram(boolean ipv6, EventLoop loop) {
    Bootstrap udp =
        new Bootstrap()
            .group(loop)
            .channel(EpollDatagramChannel.class)
            .option(ChannelOption.AUTO_READ, true)
            .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
            .option(ChannelOption.SO_RCVBUF, 1 << 20); // bursts of replies, e.g. a download
    if (ipv6) {
      udp.option(IPV6_V6ONLY, 0); // whatever net.ipv6.bindv6only says
    }
    InetSocketAddress any = new InetSocketAddress(IpLiterals.parse(ipv6 ? "::" : "0.0.0.0"), 0);
    return openSafely(udp, ch -> ch.bind(any));
  }

  /**
   * Registers a socket, gives it the mark and device and checks them ({@link MarkedSockets}), and
   * only then lets {@code use} connect or bind it: no packet ever leaves an unmarked socket. The
   * caller gets an empty pipeline; on any failure the socket is closed.
   */
  private Future<Channel> openSafely(Bootstrap bootstrap, Function<Channel, ChannelFuture> use) {
    return marking.open(
        bootstrap.handler(new ChannelInboundHandlerAdapter()),
        ch -> {
          // The placeholder handler goes so the caller starts from an empty pipeline.
          ch.pipeline().remove(ChannelInboundHandlerAdapter.class);
          return use.apply(ch);
        });
  }
}
