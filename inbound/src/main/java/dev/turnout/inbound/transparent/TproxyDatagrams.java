package dev.turnout.inbound.transparent;

import dev.turnout.inbound.DatagramReceiver;
import dev.turnout.inbound.Dispatch;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.UdpFlow;
import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.Destination;
import dev.turnout.relay.Inbound;
import dev.turnout.relay.Origin;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import java.io.Closeable;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The UDP side of a TPROXY listener: datagrams a firewall TPROXY rule turned to the listener's port
 * keep the destination the client wrote, which the kernel tells with each one ({@code
 * IP_RECVORIGDSTADDR}). Each client and destination is a flow of its own, routed by the rules and
 * carried by its route's outbound; replies go back from a transparent socket bound to that
 * destination, so that the client sees them come from where it sent (one such socket per
 * destination, shared by its flows, closed with the last of them).
 *
 * <p>Limits: {@link #MAX_FLOWS} flows (the least recently used one makes room), flows idle for the
 * idle timeout end. A datagram sent to the listener itself (not turned to it by a rule) is dropped
 * and counted. All state lives on the socket's event loop. Needs CAP_NET_ADMIN (transparent
 * sockets).
 */
public final class TproxyDatagrams implements Closeable {
  static final int MAX_FLOWS = 4096;

  private final Channel socket;
  private final Dispatch dispatch;
  private final InboundStats stats;
  private final TimeSource clock;
  private final Inbound kind;
  private final Map<Key, Flow> flows = new LinkedHashMap<>(64, 0.75f, true);
  private final Map<InetSocketAddress, ReplySocket> replySockets = new HashMap<>();

  private record Key(InetSocketAddress client, InetSocketAddress target) {}

  /** A flow, with the way back to its client. */
  private record Flow(Key key, UdpFlow flow, ReplySocket replies) {}

  private TproxyDatagrams(Channel socket, Dispatch dispatch, TimeSource clock) {
    this.socket = socket;
    this.dispatch = dispatch;
    this.stats = dispatch.stats();
    this.clock = clock;
    this.kind =
        new Inbound(
            TransparentHandler.TPROXY,
            dispatch.listener().name(),
            dispatch.listener().bind().getPort(),
            null);
  }

  /** Binds the transparent UDP socket on {@code bind}: the listener's address and port. */
  public static TproxyDatagrams start(
      InetSocketAddress bind,
      EventLoopGroup group,
      Dispatch dispatch,
      Duration idleTimeout,
      TimeSource clock)
      throws InterruptedException {
    DatagramReceiver receiver = new DatagramReceiver();
    Channel socket =
        receiver
            .bootstrap(group)
            .option(EpollChannelOption.IP_TRANSPARENT, true) // datagrams to other hosts' addresses
            .option(EpollChannelOption.IP_RECVORIGDSTADDR, true) // and which address each was to
            .bind(bind)
            .sync()
            .channel();
    TproxyDatagrams datagrams = new TproxyDatagrams(socket, dispatch, clock);
    receiver.owner(datagrams::received);
    long idle = idleTimeout.toNanos();
    long period = Math.max(100, Math.min(1000, idleTimeout.toMillis() / 4));
    socket
        .eventLoop()
        .scheduleAtFixedRate(() -> datagrams.sweep(idle), period, period, TimeUnit.MILLISECONDS);
    socket.closeFuture().addListener(f -> datagrams.endAll());
    return datagrams;
  }

  /** One datagram turned to the listener, on the socket's event loop; takes {@code packet}. */
  private void received(DatagramPacket packet) {
    InetSocketAddress client = packet.sender();
    InetSocketAddress target = packet.recipient();
    if (!dispatch.listener().filter().admits(client.getAddress())) {
      drop(packet, InboundStats.Event.REFUSED_CLIENT, "{}: refused UDP from {}", client);
      return;
    }
    if (target == null || target.equals(socket.localAddress()) || toListener(target)) {
      drop(
          packet,
          InboundStats.Event.NOT_REDIRECTED,
          "{}: UDP from {} sent to the listener itself, not by a firewall TPROXY rule; dropped",
          client);
      return;
    }
    long now = clock.nanoTime();
    Key key = new Key(client, target);
    Flow flow = flows.get(key);
    if (flow == null) {
      flow = open(key, now);
      if (flow == null) {
        packet.release();
        return;
      }
    }
    if (!flow.flow().send(packet.content(), now)) {
      stats.count(InboundStats.Event.UDP_DROPPED, 1);
    }
  }

  private boolean toListener(InetSocketAddress target) {
    InetSocketAddress listener = (InetSocketAddress) socket.localAddress();
    return target.getPort() == listener.getPort()
        && (listener.getAddress().isAnyLocalAddress()
            ? TransparentHandler.isThisHost(target)
            : listener.getAddress().equals(target.getAddress()));
  }

  private Flow open(Key key, long now) {
    Destination requested =
        new Destination(null, key.target().getAddress(), key.target().getPort());
    Origin origin = dispatch.origin(true, key.client(), requested, kind);
    if (origin == null) {
      return null;
    }
    if (flows.size() >= MAX_FLOWS) {
      Iterator<Flow> eldest = flows.values().iterator();
      Flow gone = eldest.next();
      eldest.remove();
      end(gone);
      stats.bad(
          InboundStats.Event.UDP_DROPPED,
          "{}: {} UDP flows open; the least recently used makes room",
          dispatch.listener().name(),
          MAX_FLOWS);
    }
    ReplySocket replies = replySockets.computeIfAbsent(key.target(), this::replySocket);
    replies.users++;
    Flow flow = new Flow(key, new UdpFlow(requested, origin, now), replies);
    flows.put(key, flow);
    flow.flow().start(dispatch, socket.eventLoop(), p -> reply(flow, p), () -> remove(flow));
    return flow;
  }

  /** A reply from the flow's destination: to the client, from the address it sent to. */
  private void reply(Flow flow, ByteBuf payload) {
    if (flow.flow().closed()) {
      payload.release();
      return;
    }
    flow.flow().received(payload.readableBytes(), clock.nanoTime());
    flow.replies().send(new DatagramPacket(payload, flow.key().client()));
  }

  private void remove(Flow flow) {
    flows.remove(flow.key(), flow);
    end(flow);
  }

  private void end(Flow flow) {
    if (flow.flow().close() && --flow.replies().users == 0) {
      replySockets.remove(flow.key().target(), flow.replies());
      flow.replies().bound.channel().close();
    }
  }

  private void sweep(long idleNanos) {
    long now = clock.nanoTime();
    List<Flow> idle = new ArrayList<>();
    for (Flow flow : flows.values()) {
      if (flow.flow().idle(now, idleNanos)) {
        idle.add(flow);
      }
    }
    idle.forEach(this::remove);
  }

  private void endAll() {
    new ArrayList<>(flows.values()).forEach(this::remove);
  }

  private void drop(DatagramPacket packet, InboundStats.Event event, String what, Object client) {
    packet.release();
    stats.bad(event, what, dispatch.listener().name(), client);
  }

  /**
   * A socket bound to {@code target}, which this host does not own (IP_TRANSPARENT allows it), to
   * send replies from. It reads nothing: the TPROXY rule hands what clients send to the listener.
   */
  private ReplySocket replySocket(InetSocketAddress target) {
    ChannelFuture bound =
        new Bootstrap()
            .group(socket.eventLoop())
            .channelFactory(
                () ->
                    new EpollDatagramChannel(
                        target.getAddress() instanceof Inet4Address
                            ? SocketProtocolFamily.INET
                            : SocketProtocolFamily.INET6))
            .option(ChannelOption.SO_REUSEADDR, true)
            .option(ChannelOption.AUTO_READ, false)
            .option(EpollChannelOption.IP_TRANSPARENT, true)
            .handler(
                new ChannelInboundHandlerAdapter() {
                  @Override
                  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    // a reply to a client that went away; the socket stays
                  }
                })
            .bind(target);
    ReplySocket replies = new ReplySocket(bound);
    bound.addListener(
        f -> {
          if (!f.isSuccess()) {
            stats.bad(
                InboundStats.Event.UDP_DROPPED,
                "{}: cannot send UDP replies from {}: {}",
                dispatch.listener().name(),
                target,
                f.cause().toString());
          }
        });
    return replies;
  }

  /** The socket replies from one destination leave by, and how many flows use it. */
  private static final class ReplySocket {
    final ChannelFuture bound;
    int users;

    ReplySocket(ChannelFuture bound) {
      this.bound = bound;
    }

    void send(DatagramPacket reply) {
      if (bound.isDone()) {
        write(reply);
      } else {
        bound.addListener(f -> write(reply));
      }
    }

    private void write(DatagramPacket reply) {
      Channel channel = bound.channel();
      if (bound.isSuccess() && channel.isActive()) {
        channel.writeAndFlush(reply, channel.voidPromise());
      } else {
        reply.release();
      }
    }
  }

  @Override
  public void close() {
    socket.close().syncUninterruptibly();
  }
}
