package dev.turnout.inbound.socks;

import dev.turnout.inbound.DatagramReceiver;
import dev.turnout.inbound.Dispatch;
import dev.turnout.inbound.Handover;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.UdpFlow;
import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.UdpOutbound;
import dev.turnout.relay.Inbound;
import dev.turnout.relay.Origin;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.socksx.v5.DefaultSocks5CommandResponse;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import java.io.Closeable;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The UDP side of a SOCKS5 listener: one socket on the listener's own address and port that every
 * association of the listener shares. An association belongs to the client of its TCP control
 * connection: the first datagram from that client's address (and port, if the request named one)
 * binds it; datagrams from anyone else are dropped and counted. Each datagram's destination is a
 * flow of its own, routed by the rules and carried by its route's {@link UdpOutbound}; replies go
 * back wrapped in the SOCKS5 UDP header naming the destination the client wrote. An association
 * ends with its control connection.
 *
 * <p>Limits: {@link Limits#associations} per listener (more are refused with 0x01), {@link
 * Limits#flowsPerAssociation} (the least recently used flow makes room), {@link
 * UdpFlow#MAX_PENDING} datagrams queued per flow while its outbound opens, and flows idle for
 * {@link Limits#idleTimeout} end. Threading: all state lives on the socket's event loop; {@link
 * #associate} may be called from any control connection's loop. Closing ends everything.
 */
public final class UdpAssociations implements Closeable {
  /** Bounds of one listener's UDP relay. */
  public record Limits(int associations, int flowsPerAssociation, Duration idleTimeout) {
    public static final Limits DEFAULTS = new Limits(1024, 256, Duration.ofSeconds(60));

    public Limits {
      if (associations < 1 || flowsPerAssociation < 1 || idleTimeout.toMillis() < 1) {
        throw new IllegalArgumentException("bad UDP limits: " + this);
      }
    }
  }

  private final Channel socket;
  private final Dispatch dispatch;
  private final InboundStats stats;
  private final Limits limits;
  private final TimeSource clock;
  private final List<Association> unbound = new ArrayList<>();
  private final Map<InetSocketAddress, Association> bound = new HashMap<>();

  private UdpAssociations(Channel socket, Dispatch dispatch, Limits limits, TimeSource clock) {
    this.socket = socket;
    this.dispatch = dispatch;
    this.stats = dispatch.stats();
    this.limits = limits;
    this.clock = clock;
  }

  /** Binds the UDP socket on {@code bind}: the listener's address and (bound) port. */
  public static UdpAssociations start(
      InetSocketAddress bind,
      EventLoopGroup group,
      Dispatch dispatch,
      Limits limits,
      TimeSource clock)
      throws InterruptedException {
    DatagramReceiver receiver = new DatagramReceiver();
    Channel socket = receiver.bootstrap(group).bind(bind).sync().channel();
    UdpAssociations associations = new UdpAssociations(socket, dispatch, limits, clock);
    receiver.owner(associations::received);
    long period = Math.max(100, Math.min(1000, limits.idleTimeout().toMillis() / 4));
    socket
        .eventLoop()
        .scheduleAtFixedRate(associations::sweep, period, period, TimeUnit.MILLISECONDS);
    socket.closeFuture().addListener(f -> associations.endAll());
    return associations;
  }

  /** Where clients send their datagrams. */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) socket.localAddress();
  }

  /**
   * Serves a UDP ASSOCIATE whose request was read from {@code control} (its SOCKS5 decoder and
   * handler gone, the encoder still there): replies with the relay's address, then watches the
   * control connection, whose end ends the association.
   */
  void associate(Channel control, InetSocketAddress client, int requestedPort, Inbound kind) {
    Association association = new Association(control, client.getAddress(), requestedPort, kind);
    EventLoop loop = socket.eventLoop();
    loop.execute(
        () -> {
          if (!socket.isActive() || bound.size() + unbound.size() >= limits.associations()) {
            stats.bad(
                InboundStats.Event.UDP_DROPPED,
                "{}: UDP ASSOCIATE from {} refused: {} associations open",
                dispatch.listener().name(),
                client,
                bound.size() + unbound.size());
            control.eventLoop().execute(() -> refuse(control));
            return;
          }
          unbound.add(association);
          stats.count(InboundStats.Event.UDP_ASSOCIATED, 1);
          control.closeFuture().addListener(f -> loop.execute(() -> end(association)));
          control.eventLoop().execute(() -> reply(control, association));
        });
  }

  private void reply(Channel control, Association association) {
    InetAddress local = ((InetSocketAddress) control.localAddress()).getAddress();
    int port = localAddress().getPort();
    DefaultSocks5CommandResponse success =
        new DefaultSocks5CommandResponse(
            Socks5CommandStatus.SUCCESS,
            local instanceof Inet4Address ? Socks5AddressType.IPv4 : Socks5AddressType.IPv6,
            local.getHostAddress(),
            port);
    Handover.replyThenLeave(control, success, Socks5Server.ENCODER)
        .addListener(
            f -> {
              if (f.isSuccess()) {
                control.pipeline().addLast(new AssociationControl());
              } else {
                control.close();
              }
            });
  }

  private static void refuse(Channel control) {
    control
        .writeAndFlush(Socks5Reply.reply(Socks5CommandStatus.FAILURE))
        .addListener(ChannelFutureListener.CLOSE);
  }

  /** One datagram from a client, on the socket's event loop; takes {@code packet}. */
  private void received(DatagramPacket packet) {
    InetSocketAddress sender = packet.sender();
    ByteBuf in = packet.content();
    Association association = bound.get(sender);
    if (association == null) {
      association = bind(sender);
    }
    if (association == null || !dispatch.listener().filter().admits(sender.getAddress())) {
      drop(
          packet,
          InboundStats.Event.UDP_NOT_ASSOCIATED,
          "from {}, which has no association",
          sender);
      return;
    }
    switch (SocksUdpHeader.check(in)) {
      case FRAGMENT -> drop(packet, InboundStats.Event.UDP_FRAGMENT, "fragment from {}", sender);
      case MALFORMED -> drop(packet, InboundStats.Event.UDP_MALFORMED, "malformed from {}", sender);
      case DATAGRAM -> {
        Destination destination = SocksUdpHeader.read(in);
        send(association, destination, in);
      }
    }
  }

  private Association bind(InetSocketAddress sender) {
    for (int i = 0; i < unbound.size(); i++) {
      Association candidate = unbound.get(i);
      if (candidate.accepts(sender)) {
        unbound.remove(i);
        candidate.client = sender;
        bound.put(sender, candidate);
        return candidate;
      }
    }
    return null;
  }

  private void drop(DatagramPacket packet, InboundStats.Event event, String what, Object sender) {
    packet.release();
    stats.bad(
        event, "{}: SOCKS5 UDP datagram " + what + " dropped", dispatch.listener().name(), sender);
  }

  private void send(Association association, Destination destination, ByteBuf payload) {
    long now = clock.nanoTime();
    UdpFlow flow = association.flow(destination);
    if (flow == null) {
      flow = open(association, destination, now);
      if (flow == null) {
        payload.release();
        return;
      }
    }
    if (!flow.send(payload, now)) {
      stats.count(InboundStats.Event.UDP_DROPPED, 1);
    }
  }

  private UdpFlow open(Association association, Destination destination, long now) {
    Origin origin = dispatch.origin(true, association.client, destination, association.kind);
    if (origin == null) {
      return null;
    }
    if (association.flowCount() >= limits.flowsPerAssociation()) {
      UdpFlow eldest = association.eldest();
      association.remove(eldest);
      eldest.close();
    }
    UdpFlow flow = new UdpFlow(destination, origin, now);
    association.add(flow);
    flow.start(
        dispatch,
        socket.eventLoop(),
        payload -> reply(association, flow, payload),
        () -> end(association, flow));
    return flow;
  }

  /** A reply from the flow's destination: to the client, as coming from what it asked for. */
  private void reply(Association association, UdpFlow flow, ByteBuf payload) {
    if (flow.closed() || association.ended || !socket.isActive()) {
      payload.release();
      return;
    }
    flow.received(payload.readableBytes(), clock.nanoTime());
    ByteBuf datagram = SocksUdpHeader.write(socket.alloc(), flow.requested, payload);
    socket.writeAndFlush(new DatagramPacket(datagram, association.client), socket.voidPromise());
  }

  private void end(Association association, UdpFlow flow) {
    association.remove(flow);
    flow.close();
  }

  private void end(Association association) {
    if (association.ended) {
      return;
    }
    association.ended = true;
    unbound.remove(association);
    if (association.client != null) {
      bound.remove(association.client, association);
    }
    association.drain().forEach(UdpFlow::close);
    association.control.close();
  }

  private void sweep() {
    long now = clock.nanoTime();
    long idle = limits.idleTimeout().toNanos();
    for (Association association : bound.values()) {
      association.expire(now, idle).forEach(UdpFlow::close);
    }
  }

  private void endAll() {
    List<Association> all = new ArrayList<>(bound.values());
    all.addAll(unbound);
    all.forEach(this::end);
  }

  /** Associations open (bound to a client's UDP address or not yet). For tests and stats. */
  int associationCount() {
    return bound.size() + unbound.size();
  }

  @Override
  public void close() {
    socket.close().syncUninterruptibly();
  }
}
