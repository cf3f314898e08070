package dev.turnout.outbound;

import dev.turnout.netbase.LogLimiter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DIRECT UDP: one socket per session, marked like every Turnout socket: a dual-stack IPv6 socket
 * (IPv4 destinations as IPv4-mapped addresses) where the host has IPv6, an IPv4 one otherwise,
 * which drops IPv6 destinations. A name goes through Turnout's resolver once per session (datagrams
 * that arrive meanwhile wait, a few at most) and its first address is used: the resolver's
 * preference (IPv4 first, see {@code DualStackResolver}), IPv4 only on an IPv4 socket.
 *
 * <p>Replies are accepted only from endpoints this session has sent to (port-restricted, as a
 * connected socket would be for one destination): nobody else can inject datagrams into an
 * application's flow by guessing the socket's port. Confined to its event loop, except {@link
 * #send}, which hops onto it. Datagrams sent in one turn of the loop (a batch the relay read) leave
 * together at its end ({@link DatagramBatcher}).
 */
final class DirectDatagramSession implements DatagramSession {
  private static final Logger LOG = LoggerFactory.getLogger(DirectDatagramSession.class);

  /** Names resolved per session, and endpoints replies are accepted from; oldest go first. */
  static final int MAX_NAMES = 16;

  static final int MAX_PEERS = 64;

  private static final LogLimiter REFUSED_LOG = new LogLimiter(1, 5);

  /** Datagrams held per name while it resolves. */
  static final int MAX_WAITING = 32;

  private final Dialer dialer;
  private final Channel udp;
  private final boolean dualStack;
  private final Promise<Void> closed;
  private final Map<String, InetAddress> resolved = lru(MAX_NAMES);
  private final Map<String, ArrayDeque<Waiting>> resolving = new HashMap<>();
  private final Map<InetSocketAddress, Boolean> peers = lru(MAX_PEERS);
  private final DatagramBatcher batcher;

  private DirectDatagramSession(Dialer dialer, Channel udp, boolean dualStack) {
    this.dialer = dialer;
    this.udp = udp;
    this.batcher = new DatagramBatcher(udp);
    this.dualStack = dualStack;
    this.closed = udp.eventLoop().newPromise();
    udp.closeFuture().addListener(f -> closed.trySuccess(null));
  }

  static Future<DatagramSession> open(Dialer dialer, EventLoop loop, Receiver receiver) {
    Promise<DatagramSession> promise = loop.newPromise();
    dialer
        .openDatagram(true, loop)
        .addListener(
            dual -> {
              if (dual.isSuccess()) {
                opened(dialer, (Channel) dual.getNow(), true, receiver, promise);
                return;
              }
              LOG.debug("udp: no IPv6 socket ({}); IPv4 only", dual.cause().toString());
              dialer
                  .openDatagram(false, loop)
                  .addListener(
                      v4 -> {
                        if (v4.isSuccess()) {
                          opened(dialer, (Channel) v4.getNow(), false, receiver, promise);
                        } else {
                          promise.tryFailure(v4.cause());
                        }
                      });
            });
    return promise;
  }

  private static void opened(
      Dialer dialer,
      Channel channel,
      boolean dualStack,
      Receiver receiver,
      Promise<DatagramSession> promise) {
    DirectDatagramSession session = new DirectDatagramSession(dialer, channel, dualStack);
    session.udp.pipeline().addLast(session.new Replies(receiver));
    if (!promise.trySuccess(session)) {
      session.close();
    }
  }

  @Override
  public void send(Destination destination, ByteBuf payload) {
    EventLoop loop = udp.eventLoop();
    if (!loop.inEventLoop()) {
      loop.execute(() -> send(destination, payload));
      return;
    }
    if (destination.address() != null) {
      sendTo(destination.address(), destination, payload);
      return;
    }
    String host = destination.host();
    InetAddress known = resolved.get(host);
    if (known != null) {
      sendTo(known, destination, payload);
      return;
    }
    ArrayDeque<Waiting> waiting = resolving.get(host);
    if (waiting != null) {
      if (waiting.size() < MAX_WAITING) {
        waiting.add(new Waiting(destination, payload));
      } else {
        payload.release();
      }
      return;
    }
    if (resolving.size() >= MAX_NAMES) {
      payload.release();
      return;
    }
    waiting = new ArrayDeque<>(4);
    waiting.add(new Waiting(destination, payload));
    resolving.put(host, waiting);
    dialer.resolve(host, loop).addListener(f -> resolved(host, f));
  }

  private void resolved(String host, Future<?> lookup) {
    ArrayDeque<Waiting> waiting = resolving.remove(host);
    @SuppressWarnings("unchecked")
    InetAddress first =
        lookup.isSuccess()
            ? ((List<InetAddress>) lookup.getNow())
                .stream()
                    .filter(a -> dualStack || !(a instanceof Inet6Address))
                    .findFirst()
                    .orElse(null)
            : null;
    if (first == null) {
      LOG.debug(
          "udp {}: no {} address{}",
          host,
          dualStack ? "usable" : "IPv4",
          lookup.cause() == null ? "" : ": " + lookup.cause().toString());
    } else {
      resolved.put(host, first);
    }
    for (Waiting w : waiting) {
      if (first == null) {
        w.payload.release();
      } else {
        sendTo(first, w.destination, w.payload);
      }
    }
  }

  private void sendTo(InetAddress address, Destination destination, ByteBuf payload) {
    if ((!dualStack && address instanceof Inet6Address) || !udp.isActive()) {
      payload.release();
      return;
    }
    if (!dialer.allowedDirect(address, destination)) {
      payload.release();
      if (REFUSED_LOG.allow()) {
        LOG.warn(
            "udp {}: refusing to send to {}: Turnout's own range, or this host's own address"
                + " without a rule that allows it ({} more not logged)",
            destination,
            address.getHostAddress(),
            REFUSED_LOG.takeSuppressed());
      }
      return;
    }
    InetSocketAddress peer = new InetSocketAddress(address, destination.port());
    peers.put(peer, Boolean.TRUE);
    batcher.send(payload, peer);
  }

  @Override
  public void close() {
    udp.close();
  }

  @Override
  public Future<?> closeFuture() {
    return closed;
  }

  private static <K, V> Map<K, V> lru(int max) {
    return new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > max;
      }
    };
  }

  private record Waiting(Destination destination, ByteBuf payload) {}

  /** Hands replies from known peers to the receiver; drops the rest. */
  private final class Replies extends SimpleChannelInboundHandler<DatagramPacket> {
    private final Receiver receiver;

    Replies(Receiver receiver) {
      this.receiver = receiver;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      InetSocketAddress sender = packet.sender();
      if (peers.get(sender) != null) {
        receiver.received(
            new Destination(null, sender.getAddress(), sender.getPort()),
            packet.content().retain());
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // ICMP errors surface here on some kernels; UDP just loses that datagram.
      LOG.debug("udp: {}", cause.toString());
    }
  }
}
