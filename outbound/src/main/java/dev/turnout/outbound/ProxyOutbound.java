package dev.turnout.outbound;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * An upstream proxy server: reaches the server (through the {@link Dialer}, or through another
 * outbound for {@code dialer-proxy} and relay chains), opens its {@link Transport} (TLS, WebSocket,
 * gRPC, ...), then lets the protocol install its handlers and run its handshake. The whole connect
 * is bounded by the dialer's connect timeout, and its failure names the proxy and the step that
 * failed. Subclasses live in the protocol packages and implement only {@link #handshake}; their
 * codecs do the framing. Thread-safe.
 */
public abstract class ProxyOutbound implements Outbound {
  private final String name;
  private final String server;
  private final int port;
  private final Dialer dialer;
  private final Transport transport;

  /** Position in {@code proxies:}, for messages about this proxy; -1 when built by hand. */
  private int configIndex = -1;

  /** The outbound that reaches the server ({@code dialer-proxy}), or null to dial it directly. */
  private volatile Outbound dialerProxy;

  protected ProxyOutbound(String name, String server, int port, Dialer dialer) {
    this(name, server, port, dialer, Transport.TCP);
  }

  protected ProxyOutbound(
      String name, String server, int port, Dialer dialer, Transport transport) {
    this.name = name;
    this.server = server;
    this.port = port;
    this.dialer = dialer;
    this.transport = transport;
  }

  @Override
  public final String name() {
    return name;
  }

  /** Where the proxy server listens. */
  public final String server() {
    return server;
  }

  public final int port() {
    return port;
  }

  /** The position of this proxy in {@code proxies:}, for problems found after loading. */
  public final int configIndex() {
    return configIndex;
  }

  /** Set once by the loader. */
  public final void configIndex(int index) {
    configIndex = index;
  }

  /** Set once by the loader: every connection to the server goes through {@code via}. */
  public final void dialerProxy(Outbound via) {
    dialerProxy = via;
  }

  /** Opens a plain TCP connection to the proxy server, as every connection through it starts. */
  public final Future<Channel> dialServer(EventLoop loop) {
    return dialer.dial(server, null, port, loop);
  }

  protected final Dialer dialer() {
    return dialer;
  }

  /**
   * A new connection to the server per call, through the {@code dialer-proxy} when there is one. A
   * protocol that carries many connections over one (SSH) overrides this and keeps {@link
   * #handshake} for relay chains, whose previous hop gives it one connection per call.
   */
  @Override
  public Future<Channel> connect(Destination destination, EventLoop loop) {
    return connect(destination, loop, dialerProxy);
  }

  /**
   * Connects to {@code destination} with the connection to this proxy's server carried by {@code
   * via} (a relay chain's previous hop), or dialed directly when {@code via} is null.
   */
  public final Future<Channel> connect(Destination destination, EventLoop loop, Outbound via) {
    try {
      destination.nameBytes(); // a name no proxy request can carry fails here, before any dial
    } catch (IllegalArgumentException e) {
      return loop.newFailedFuture(e);
    }
    return reach(loop, via, destination.toString(), (ch, p) -> handshake(ch, destination, p));
  }

  /**
   * A connection to the server with the transport open and no protocol handshake yet, for protocols
   * that carry datagrams over their own stream (Trojan's UDP, say). Bounded by the connect timeout;
   * the caller owns the channel.
   */
  public final Future<Channel> openTransport(EventLoop loop) {
    return reach(loop, dialerProxy, "udp", (ch, p) -> p.trySuccess(ch));
  }

  /**
   * A connection with the transport open and {@code start} run on it (the protocol's handshake for
   * another command, as UDP needs), ready once the future {@code start} returns succeeds. Bounded
   * by the connect timeout; the caller owns the channel.
   */
  protected final Future<Channel> openWith(
      Destination destination, EventLoop loop, Function<Channel, Future<?>> start) {
    return reach(
        loop,
        dialerProxy,
        destination.toString(),
        (ch, p) -> ProxyHandshake.completeAfter(start.apply(ch), ch, p));
  }

  private Future<Channel> reach(
      EventLoop loop, Outbound via, String what, BiConsumer<Channel, Promise<Channel>> step) {
    Promise<Channel> promise = loop.newPromise();
    ScheduledFuture<?> timeout =
        loop.schedule(
            () -> {
              promise.tryFailure(
                  new TimeoutException(
                      name
                          + ": no connection to "
                          + what
                          + " within "
                          + dialer.connectTimeoutMillis()
                          + " ms"));
            },
            dialer.connectTimeoutMillis(),
            TimeUnit.MILLISECONDS);
    promise.addListener(f -> timeout.cancel(false));
    Future<Channel> reached =
        via == null
            ? dialer.dial(server, null, port, loop)
            // the configuration names the server: DIRECT may reach it even on this host
            : via.connect(new Destination(server, null, port, Destination.ANY_LOCAL), loop);
    reached.addListener(
        f -> {
          if (!f.isSuccess()) {
            promise.tryFailure(
                via == null ? f.cause() : new IOException(name + ": via " + via.name(), f.cause()));
            return;
          }
          Channel ch = (Channel) f.getNow();
          if (promise.isDone()) {
            ch.close();
            return;
          }
          promise.addListener(
              p -> {
                if (!p.isSuccess()) {
                  ch.close();
                }
              });
          ch.closeFuture()
              .addListener(
                  c -> {
                    if (!promise.isDone()) { // no exception (and stack trace) per connection
                      promise.tryFailure(new IOException(name + ": proxy closed the connection"));
                    }
                  });
          transport
              .open(ch)
              .addListener(
                  t -> {
                    if (!t.isSuccess()) {
                      promise.tryFailure(new IOException(name + ": " + describe(t.cause())));
                      return;
                    }
                    try {
                      step.accept(ch, promise);
                    } catch (RuntimeException e) {
                      promise.tryFailure(e);
                    }
                  });
        });
    return promise;
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return m != null ? m : t.toString();
  }

  /**
   * Installs the protocol's handlers on the connected channel {@code ch} and completes {@code
   * promise} with it once the channel carries plaintext to {@code destination}. Runs on the
   * channel's loop, after the transport is open. On failure the channel is closed by the caller.
   */
  protected abstract void handshake(Channel ch, Destination destination, Promise<Channel> promise);

  /** Adds a protocol handler in front of the held-inbound handler. */
  protected static void add(Channel ch, ChannelHandler handler) {
    HeldInbound.addBefore(ch, handler);
  }

  /** What {@link UdpOutbound#openUdp} returns for a proxy whose entry did not say {@code udp}. */
  protected final Future<DatagramSession> udpNotEnabled(EventLoop loop) {
    return loop.newFailedFuture(
        new UnsupportedOperationException(name + ": udp is not enabled for this proxy"));
  }

  /** The transport, for protocols that open further connections themselves (UDP over TCP). */
  protected final Transport transport() {
    return transport;
  }
}
