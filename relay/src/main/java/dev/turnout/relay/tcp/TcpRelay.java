package dev.turnout.relay.tcp;

import dev.turnout.relay.Connections;
import dev.turnout.relay.Origin;
import dev.turnout.relay.RelaySettings;
import dev.turnout.relay.Router;
import dev.turnout.relay.splice.SpliceRelay;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.SucceededFuture;
import java.io.Closeable;
import java.util.concurrent.Executor;

/**
 * Relays TCP connections whose origin is known, whatever accepted them: the TUN listener ({@link
 * RelayServer}) or a local proxy listener after its handshake. For each one it routes (off the
 * event loop when a rule may block), dials the route's outbound, lets the inbound side answer its
 * client ({@link Handshake}), lists the connection in {@link Connections}, then moves bytes both
 * ways — with splice(2) when both sides are plain sockets. Thread-safe; owns the splice threads.
 */
public final class TcpRelay implements Closeable {
  final Router router;
  final Executor blockingExecutor;
  final RelayStats stats = new RelayStats();
  final Connections connections;
  final RelaySettings settings;
  final SpliceRelay splice; // null: every connection is relayed through Netty

  /**
   * @param blockingExecutor where routing runs when a rule may block (name lookups, processes)
   */
  public TcpRelay(
      Router router, Executor blockingExecutor, Connections connections, RelaySettings settings) {
    this.router = router;
    this.blockingExecutor = blockingExecutor;
    this.connections = connections;
    this.settings = settings;
    this.splice =
        settings.spliceThreads() > 0
            ? SpliceRelay.startOrNull(settings.spliceThreads(), settings.idleTimeout())
            : null;
  }

  /**
   * What the inbound side tells its client once the outcome is known: nothing for captured
   * connections, a reply for proxy protocols (SOCKS5, HTTP CONNECT). Called on the inbound
   * channel's event loop.
   */
  public interface Handshake {
    /** Captured connections: the client already believes it is connected. */
    Handshake NONE =
        new Handshake() {
          @Override
          public Future<?> connected(Channel inbound, Channel upstream) {
            return new SucceededFuture<>(inbound.eventLoop(), null);
          }

          @Override
          public void failed(Channel inbound, Throwable cause) {
            reset(inbound);
          }
        };

    /**
     * The outbound connected: reply to the client; relaying starts when the returned future
     * succeeds (a failed one closes both sides). The client's side must carry no codec by then.
     */
    Future<?> connected(Channel inbound, Channel upstream);

    /** Routing or dialing failed, or REJECT: tell the client and close. */
    void failed(Channel inbound, Throwable cause);
  }

  /**
   * Takes over {@code inbound} (auto-read off, on its event loop) for a flow from {@code origin};
   * bytes the client sends meanwhile are kept and relayed first. The connection is listed under
   * {@link Origin#inbound}.
   */
  public void relay(Channel inbound, Origin origin, Handshake handshake) {
    inbound.pipeline().addLast(new RelayHandler(this, origin, handshake));
  }

  public RelayStats stats() {
    return stats;
  }

  public Connections connections() {
    return connections;
  }

  /** Closes with SO_LINGER 0 so the client sees a reset, as from a refused connection. */
  static void reset(Channel channel) {
    if (channel.isOpen()) {
      channel.config().setOption(ChannelOption.SO_LINGER, 0);
      channel.close();
    }
  }

  /** Stops the splice threads; the connections they carry end. */
  @Override
  public void close() {
    if (splice != null) {
      splice.close();
    }
  }
}
