package dev.turnout.inbound.listen;

import dev.turnout.inbound.Dispatch;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.inbound.http.HttpProxyServer;
import dev.turnout.inbound.mixed.FirstByte;
import dev.turnout.inbound.shadowsocks.ShadowsocksHandler;
import dev.turnout.inbound.socks.UdpAssociations;
import dev.turnout.inbound.transparent.TransparentHandler;
import dev.turnout.inbound.trojan.TrojanHandler;
import dev.turnout.inbound.tunnel.TunnelHandler;
import dev.turnout.inbound.vless.VlessHandler;
import dev.turnout.inbound.vmess.VmessHandler;
import dev.turnout.inbound.ws.WsFrameEncoder;
import dev.turnout.inbound.ws.WsServerDecoder;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.vmess.VmessServer;
import dev.turnout.relay.tcp.AcceptPause;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import java.io.Closeable;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * One bound proxy listener: the TCP socket on the configured address and, for SOCKS5 UDP ASSOCIATE,
 * TPROXY'd datagrams or a tunnel's, the UDP socket on the same address and port (a UDP-only tunnel
 * has only that). Each accepted client passes the {@link Gate}, then the handlers of the listener's
 * protocol. Closing stops accepting and ends every UDP association; connections already relayed go
 * on until they end.
 */
public final class ProxyListener implements Closeable {
  private final ListenerSpec spec;
  private static final InetAddress IPV4_ANY = IpLiterals.parse("0.0.0.0");

  private final Channel tcp; // null for a UDP-only tunnel
  private final InetSocketAddress bound;
  private final Runnable udp; // closes the UDP side; null without one

  private ProxyListener(ListenerSpec spec, Channel tcp, InetSocketAddress bound, Runnable udp) {
    this.spec = spec;
    this.tcp = tcp;
    this.bound = bound;
    this.udp = udp;
  }

  /**
   * Binds the listener of {@code dispatch.listener()}. On every address ({@code ::}, what {@code
   * bind-address: "*"} means) it takes IPv4 and IPv6 clients alike, or every IPv4 address on a host
   * without IPv6.
   *
   * @throws Exception when an address cannot be bound (in use, not this host's)
   */
  public static ProxyListener start(
      EventLoopGroup group, Dispatch dispatch, UdpAssociations.Limits limits, TimeSource clock)
      throws Exception {
    InetSocketAddress bind = dispatch.listener().bind();
    try {
      return start(bind, group, dispatch, limits, clock);
    } catch (Exception e) {
      if (!(bind.getAddress() instanceof Inet6Address) || !bind.getAddress().isAnyLocalAddress()) {
        throw e;
      }
      InetSocketAddress ipv4 = new InetSocketAddress(IPV4_ANY, bind.getPort());
      try {
        return start(ipv4, group, dispatch, limits, clock);
      } catch (Exception again) {
        again.addSuppressed(e);
        throw again;
      }
    }
  }

  private static ProxyListener start(
      InetSocketAddress bind,
      EventLoopGroup group,
      Dispatch dispatch,
      UdpAssociations.Limits limits,
      TimeSource clock)
      throws Exception {
    ListenerSpec spec = dispatch.listener();
    if (!spec.udp()) {
      Channel tcp = bindTcp(bind, group, dispatch, null);
      return new ProxyListener(spec, tcp, (InetSocketAddress) tcp.localAddress(), null);
    }
    if (!spec.tcp()) { // a UDP-only tunnel
      PlainDatagrams udp = PlainDatagrams.start(bind, group, dispatch, limits.idleTimeout(), clock);
      return new ProxyListener(spec, null, udp.localAddress(), udp::close);
    }
    if (spec.kind() == ListenerSpec.Kind.TPROXY
        || spec.kind() == ListenerSpec.Kind.TUNNEL
        || spec.kind() == ListenerSpec.Kind.SHADOWSOCKS) {
      // no handshake needs the UDP side; it takes the port TCP got (tests: port 0)
      Channel tcp = bindTcp(bind, group, dispatch, null);
      try {
        InetSocketAddress bound = (InetSocketAddress) tcp.localAddress();
        PlainDatagrams udp =
            PlainDatagrams.start(bound, group, dispatch, limits.idleTimeout(), clock);
        return new ProxyListener(spec, tcp, bound, udp::close);
      } catch (Exception e) {
        tcp.close().syncUninterruptibly();
        throw e;
      }
    }
    if (bind.getPort() == 0) { // tests: the UDP socket takes the port TCP got
      Channel tcp = bindTcp(bind, group, dispatch, null);
      try {
        InetSocketAddress bound = (InetSocketAddress) tcp.localAddress();
        UdpAssociations udp = UdpAssociations.start(bound, group, dispatch, limits, clock);
        tcp.close().syncUninterruptibly();
        return new ProxyListener(spec, bindTcp(bound, group, dispatch, udp), bound, udp::close);
      } catch (Exception e) {
        tcp.close().syncUninterruptibly();
        throw e;
      }
    }
    UdpAssociations udp = UdpAssociations.start(bind, group, dispatch, limits, clock);
    try {
      return new ProxyListener(
          spec, bindTcp(bind, group, dispatch, udp), udp.localAddress(), udp::close);
    } catch (RuntimeException e) {
      udp.close();
      throw e;
    }
  }

  private static Channel bindTcp(
      InetSocketAddress bind, EventLoopGroup group, Dispatch dispatch, UdpAssociations udp) {
    ListenerSpec spec = dispatch.listener();
    Map<String, String> users =
        switch (spec.kind()) {
          case TROJAN -> TrojanHandler.users(spec.authentication());
          case VLESS -> VlessHandler.users(spec.authentication());
          default -> Map.of();
        };
    VmessServer vmess =
        spec.kind() == ListenerSpec.Kind.VMESS
            ? VmessServer.of(VmessServer.uuids(spec.authentication().passwords()))
            : null;
    return new ServerBootstrap()
        .group(group)
        .channel(EpollServerSocketChannel.class)
        // TPROXY hands the listener connections addressed to other hosts, which only a
        // transparent socket accepts (CAP_NET_ADMIN)
        .option(EpollChannelOption.IP_TRANSPARENT, spec.kind() == ListenerSpec.Kind.TPROXY)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .option(ChannelOption.SO_REUSEADDR, true)
        .handler(new AcceptPause("proxy listener"))
        .childOption(ChannelOption.AUTO_READ, false)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .childHandler(
            new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new Gate(spec, dispatch.stats()));
                if (spec.tls() != null) {
                  ch.pipeline().addLast(spec.tls().newHandler(ch.alloc()));
                }
                if (spec.wsPath() != null) {
                  ch.pipeline()
                      .addLast(
                          new WsServerDecoder(
                              spec.wsPath(), (c, why) -> wsRefused(dispatch, c, why)),
                          new WsFrameEncoder());
                }
                switch (spec.kind()) {
                  case HTTP -> HttpProxyServer.install(ch.pipeline(), dispatch);
                  case SOCKS -> ch.pipeline().addLast(new FirstByte(dispatch, udp, false));
                  case MIXED -> ch.pipeline().addLast(new FirstByte(dispatch, udp, true));
                  case TUNNEL -> ch.pipeline().addLast(new TunnelHandler(dispatch));
                  case REDIR, TPROXY -> ch.pipeline().addLast(new TransparentHandler(dispatch));
                  case SHADOWSOCKS -> ShadowsocksHandler.install(ch.pipeline(), dispatch);
                  case TROJAN -> ch.pipeline().addLast(new TrojanHandler(dispatch, users));
                  case VLESS -> ch.pipeline().addLast(new VlessHandler(dispatch, users));
                  case VMESS -> VmessHandler.install(ch.pipeline(), dispatch, vmess);
                }
              }
            })
        .bind(bind)
        .syncUninterruptibly()
        .channel();
  }

  private static void wsRefused(Dispatch dispatch, Channel client, String why) {
    dispatch
        .stats()
        .bad(
            InboundStats.Event.MALFORMED,
            "{}: WebSocket client {} sent {}; answered 404",
            dispatch.listener().name(),
            client.remoteAddress(),
            why);
  }

  public ListenerSpec spec() {
    return spec;
  }

  /** The bound address (TCP and UDP have the same port). */
  public InetSocketAddress localAddress() {
    return bound;
  }

  @Override
  public void close() {
    if (tcp != null) {
      tcp.close().syncUninterruptibly();
    }
    if (udp != null) {
      udp.run();
    }
  }

  /** {@code DEFAULT-MIXED (mixed) on 127.0.0.1:7890, tcp and udp}. */
  @Override
  public String toString() {
    return spec.name()
        + " ("
        + spec.kind().name().toLowerCase(java.util.Locale.ROOT)
        + ") on "
        + IpLiterals.format(bound.getAddress(), bound.getPort())
        + (tcp == null ? ", udp" : udp != null ? ", tcp and udp" : ", tcp");
  }
}
