package dev.turnout.outbound;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An upstream proxy server: dials the server through the {@link Dialer}, then lets the protocol
 * install its handlers and run its handshake. The whole connect, dial plus handshake, is bounded by
 * the dialer's connect timeout. Subclasses live in the protocol packages and implement only {@link
 * #handshake}; their codecs do the framing. Thread-safe.
 */
public abstract class ProxyOutbound implements Outbound {
  private static final String HELD = Dialer.HELD;

  private final String name;
  private final String server;
  private final int port;
  private final Dialer dialer;

  /** Position in {@code proxies:}, for messages about this proxy; -1 when built by hand. */
  private int configIndex = -1;

  protected ProxyOutbound(String name, String server, int port, Dialer dialer) {
    this.name = name;
    this.server = server;
    this.port = port;
    this.dialer = dialer;
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

  /** Dials the proxy server, and its UDP sockets for protocols that carry datagrams. */
  /** The position of this proxy in {@code proxies:}, for problems found after loading. */
  public final int configIndex() {
    return configIndex;
  }

  /** Set once by the loader. */
  public final void configIndex(int index) {
    configIndex = index;
  }

  /** Opens a plain TCP connection to the proxy server, as every connection through it starts. */
  public final io.netty.util.concurrent.Future<io.netty.channel.Channel> dialServer(
      io.netty.channel.EventLoop loop) {
    return dialer.dial(server, null, port, loop);
  }

  protected final Dialer dialer() {
    return dialer;
  }

  @Override
  public final Future<Channel> connect(Destination destination, EventLoop loop) {
    Promise<Channel> promise = loop.newPromise();
    ScheduledFuture<?> timeout =
        loop.schedule(
            () -> {
              promise.tryFailure(
                  new TimeoutException(
                      name
                          + ": no connection to "
                          + destination
                          + " within "
                          + dialer.connectTimeoutMillis()
                          + " ms"));
            },
            dialer.connectTimeoutMillis(),
            TimeUnit.MILLISECONDS);
    promise.addListener(f -> timeout.cancel(false));
    dialer
        .dial(server, null, port, loop)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                promise.tryFailure(f.cause());
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
                          promise.tryFailure(
                              new java.io.IOException(name + ": proxy closed the connection"));
                        }
                      });
              try {
                handshake(ch, destination, promise);
              } catch (RuntimeException e) {
                promise.tryFailure(e);
              }
            });
    return promise;
  }

  /**
   * Installs the protocol's handlers on the connected channel {@code ch} and completes {@code
   * promise} with it once the channel carries plaintext to {@code destination}. Runs on the
   * channel's loop. On failure the channel is closed by the caller.
   */
  protected abstract void handshake(Channel ch, Destination destination, Promise<Channel> promise);

  /** Adds a protocol handler in front of the held-inbound handler. */
  protected static void add(Channel ch, io.netty.channel.ChannelHandler handler) {
    ch.pipeline().addBefore(HELD, null, handler);
  }

  /** What {@link UdpOutbound#openUdp} returns for a proxy whose entry did not say {@code udp}. */
  protected final Future<DatagramSession> udpNotEnabled(EventLoop loop) {
    return loop.newFailedFuture(
        new UnsupportedOperationException(name + ": udp is not enabled for this proxy"));
  }
}
