package dev.turnout.inbound.listen;

import dev.turnout.inbound.DatagramReceiver;
import dev.turnout.inbound.Dispatch;
import dev.turnout.inbound.FlowTable;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.inbound.UdpFlow;
import dev.turnout.inbound.shadowsocks.ShadowsocksHandler;
import dev.turnout.inbound.transparent.TransparentHandler;
import dev.turnout.inbound.tunnel.TunnelHandler;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.AddressedDatagram;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.shadowsocks.SsServerCodec;
import dev.turnout.relay.Inbound;
import dev.turnout.relay.Origin;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The UDP side of a listener whose datagrams need no association: a TPROXY listener's, where each
 * datagram keeps the destination the client wrote and the kernel tells it ({@code
 * IP_RECVORIGDSTADDR}; IPv6 datagrams through {@link Ipv6TproxySocket}); a tunnel's, where every
 * datagram goes to the tunnel's target; and a Shadowsocks listener's, where each packet is sealed
 * with the listener's key around its destination and payload (replies are sealed the same way,
 * around where they came from). Each client and destination is a flow of its own, routed by the
 * rules (or the listener's proxy) and carried by its route's outbound. A tunnel's replies leave by
 * the listener's socket; TPROXY's by a transparent socket bound to the destination, so that the
 * client sees them come from where it sent (one such socket per destination, shared by its flows,
 * closed with the last of them).
 *
 * <p>Limits: {@link #MAX_FLOWS} flows (the least recently used one makes room), flows idle for the
 * idle timeout end. A datagram sent to a TPROXY listener itself (not turned to it by a rule) is
 * dropped and counted. All state lives on one event loop. TPROXY needs CAP_NET_ADMIN (transparent
 * sockets).
 */
final class PlainDatagrams {
  static final int MAX_FLOWS = 4096;
  private static final InetAddress IPV4_ANY = IpLiterals.parse("0.0.0.0");

  private final Channel socket; // null for a TPROXY listener on one IPv6 address
  private final EventLoop loop;
  private final InetSocketAddress local;
  private Ipv6TproxySocket ipv6; // a TPROXY listener's IPv6 datagrams; null for others
  private final Dispatch dispatch;
  private final InboundStats stats;
  private final TimeSource clock;
  private final Inbound kind;
  private final boolean tproxy;
  private final SsServerCodec shadowsocks;
  private final FlowTable<Key, Flow> flows = new FlowTable<>(MAX_FLOWS, Flow::flow, this::end);
  private final Map<InetSocketAddress, ReplySocket> replySockets = new HashMap<>();

  private record Key(InetSocketAddress client, Destination target) {}

  /** A flow, with the way back to its client: a TPROXY reply socket, or null for the listener's. */
  private record Flow(Key key, UdpFlow flow, ReplySocket replies) {}

  private PlainDatagrams(
      Channel socket,
      EventLoop loop,
      InetSocketAddress local,
      Dispatch dispatch,
      TimeSource clock) {
    ListenerSpec spec = dispatch.listener();
    this.socket = socket;
    this.loop = loop;
    this.local = local;
    this.dispatch = dispatch;
    this.stats = dispatch.stats();
    this.clock = clock;
    this.tproxy = spec.kind() == ListenerSpec.Kind.TPROXY;
    this.shadowsocks = spec.shadowsocks();
    String type =
        tproxy
            ? TransparentHandler.TPROXY
            : shadowsocks != null ? ShadowsocksHandler.TYPE : TunnelHandler.TYPE;
    this.kind = new Inbound(type, spec.name(), spec.bind().getPort(), null);
  }

  /**
   * Binds the UDP socket of {@code dispatch.listener()}, a TPROXY listener or a tunnel, on {@code
   * bind}: the listener's address and port. A TPROXY listener's IPv6 datagrams are read by an
   * {@link Ipv6TproxySocket} (Netty does not report their original destination), its IPv4 ones by
   * Netty: on {@code ::} the Netty socket takes 0.0.0.0 and the other {@code ::}.
   *
   * @throws IOException when the IPv6 socket cannot be bound
   */
  static PlainDatagrams start(
      InetSocketAddress bind,
      EventLoopGroup group,
      Dispatch dispatch,
      Duration idleTimeout,
      TimeSource clock)
      throws InterruptedException, IOException {
    DatagramReceiver receiver = new DatagramReceiver();
    boolean tproxy = dispatch.listener().kind() == ListenerSpec.Kind.TPROXY;
    boolean ipv6 = tproxy && bind.getAddress() instanceof Inet6Address;
    InetSocketAddress nettyBind = bind;
    if (ipv6) {
      nettyBind =
          bind.getAddress().isAnyLocalAddress()
              ? new InetSocketAddress(IPV4_ANY, bind.getPort())
              : null;
    }
    Channel socket =
        nettyBind == null
            ? null
            : receiver
                .bootstrap(group)
                .option(EpollChannelOption.IP_TRANSPARENT, tproxy) // datagrams to others' addresses
                .option(EpollChannelOption.IP_RECVORIGDSTADDR, tproxy) // and where each was to
                .bind(nettyBind)
                .sync()
                .channel();
    EventLoop loop = socket != null ? socket.eventLoop() : group.next();
    PlainDatagrams datagrams =
        new PlainDatagrams(
            socket,
            loop,
            ipv6 || bind.getPort() != 0 ? bind : (InetSocketAddress) socket.localAddress(),
            dispatch,
            clock);
    receiver.owner(datagrams::received);
    if (ipv6) {
      try {
        datagrams.ipv6 =
            Ipv6TproxySocket.open(
                bind,
                loop,
                datagrams::received,
                () -> datagrams.stats.count(InboundStats.Event.UDP_DROPPED, 1));
      } catch (IOException e) {
        if (socket != null) {
          socket.close().syncUninterruptibly();
        }
        throw e;
      }
    }
    long idle = idleTimeout.toNanos();
    long period = Math.max(100, Math.min(1000, idleTimeout.toMillis() / 4));
    loop.scheduleAtFixedRate(() -> datagrams.sweep(idle), period, period, TimeUnit.MILLISECONDS);
    if (socket != null) {
      socket.closeFuture().addListener(f -> datagrams.endAll());
    }
    return datagrams;
  }

  /** One datagram to the listener, on the socket's event loop; takes {@code packet}. */
  private void received(DatagramPacket packet) {
    InetSocketAddress client = packet.sender();
    if (!dispatch.listener().filter().admits(client.getAddress())) {
      drop(packet, InboundStats.Event.REFUSED_CLIENT, "{}: refused UDP from {}", client);
      return;
    }
    if (shadowsocks != null) {
      AddressedDatagram opened = shadowsocks.openDatagram(packet.content());
      if (opened == null) {
        drop(
            packet,
            InboundStats.Event.AUTH_FAILED,
            "{}: a Shadowsocks UDP packet from {} failed authentication (another password or"
                + " cipher?); dropped",
            client);
        return;
      }
      packet.release();
      forward(client, opened.peer(), opened.content());
      return;
    }
    Destination target = tproxy ? turnedTo(packet) : dispatch.listener().target();
    if (target == null) {
      drop(
          packet,
          InboundStats.Event.NOT_REDIRECTED,
          "{}: UDP from {} sent to the listener itself, not by a firewall TPROXY rule; dropped",
          client);
      return;
    }
    forward(client, target, packet.content());
  }

  /** Sends {@code payload} (taken) from {@code client} on to {@code target}, by its flow. */
  private void forward(InetSocketAddress client, Destination target, ByteBuf payload) {
    long now = clock.nanoTime();
    Key key = new Key(client, target);
    Flow flow = flows.get(key);
    if (flow == null) {
      flow = open(key, now);
      if (flow == null) {
        payload.release();
        return;
      }
    }
    if (!flow.flow().send(payload, now)) {
      stats.count(InboundStats.Event.UDP_DROPPED, 1);
    }
  }

  /** Where a TPROXY rule found the datagram going, or null if it was sent to the listener. */
  private Destination turnedTo(DatagramPacket packet) {
    InetSocketAddress target = packet.recipient();
    if (target == null || TransparentHandler.isListener(local, target)) {
      return null;
    }
    return new Destination(null, target.getAddress(), target.getPort());
  }

  private Flow open(Key key, long now) {
    Origin origin = dispatch.origin(true, key.client(), key.target(), kind);
    if (origin == null) {
      return null;
    }
    if (flows.makeRoom()) {
      stats.bad(
          InboundStats.Event.UDP_DROPPED,
          "{}: {} UDP flows open; the least recently used makes room",
          dispatch.listener().name(),
          MAX_FLOWS);
    }
    ReplySocket replies = null;
    if (tproxy) {
      InetSocketAddress from = new InetSocketAddress(key.target().address(), key.target().port());
      replies = replySockets.computeIfAbsent(from, this::replySocket);
      replies.users++;
    }
    Flow flow = new Flow(key, new UdpFlow(key.target(), origin, now), replies);
    flows.put(key, flow);
    flow.flow().start(dispatch, loop, p -> reply(flow, p), () -> remove(flow));
    return flow;
  }

  /** A reply from the flow's destination: to the client, from the address it sent to. */
  private void reply(Flow flow, ByteBuf payload) {
    if (flow.flow().closed()) {
      payload.release();
      return;
    }
    flow.flow().received(payload.readableBytes(), clock.nanoTime());
    ByteBuf content = payload;
    if (shadowsocks != null) { // from where the client asked to send, sealed
      content = shadowsocks.sealDatagram(flow.key().target(), payload);
      payload.release();
    }
    DatagramPacket reply = new DatagramPacket(content, flow.key().client());
    if (flow.replies() != null) {
      flow.replies().send(reply);
    } else if (socket.isActive()) {
      socket.writeAndFlush(reply, socket.voidPromise());
    } else {
      reply.release();
    }
  }

  private void remove(Flow flow) {
    flows.remove(flow.key(), flow);
  }

  private void end(Flow flow) {
    ReplySocket replies = flow.replies();
    if (flow.flow().close() && replies != null && --replies.users == 0) {
      replySockets.remove(replies.from, replies);
      replies.bound.channel().close();
    }
  }

  private void sweep(long idleNanos) {
    flows.sweep(clock.nanoTime(), idleNanos);
  }

  private void endAll() {
    flows.endAll();
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
            .group(loop)
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
    ReplySocket replies = new ReplySocket(target, bound);
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
    final InetSocketAddress from;
    final ChannelFuture bound;
    int users;

    ReplySocket(InetSocketAddress from, ChannelFuture bound) {
      this.from = from;
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

  /** Where clients send their datagrams. */
  InetSocketAddress localAddress() {
    return local;
  }

  void close() {
    if (ipv6 != null) {
      ipv6.close();
    }
    if (socket != null) {
      socket.close().syncUninterruptibly();
    } else {
      loop.submit(this::endAll).syncUninterruptibly();
    }
  }
}
