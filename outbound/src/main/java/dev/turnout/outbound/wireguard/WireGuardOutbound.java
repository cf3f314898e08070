package dev.turnout.outbound.wireguard;

import dev.turnout.natrewrite.kernel.TunDevice;
import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.UdpOutbound;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code type: wireguard}: connections and datagrams through a userspace WireGuard tunnel whose
 * plaintext side is a TUN device of Turnout's own, so the kernel's TCP/UDP stack does the
 * transport: a connection is a kernel socket bound to that device (and marked like every Turnout
 * socket), its packets are sealed by the {@link Tunnel} and sent to the peer over one marked UDP
 * socket, and the peer's replies are opened back into the device. The device holds the proxy's
 * {@code ip} as a /32 and no routes: sockets bound to it reach any address on-link.
 *
 * <p>The device and the tunnel start on the first use (creating the device needs CAP_NET_ADMIN) and
 * stop on {@link #close}; a failed start is retried by the next use. IPv4 only. Thread-safe.
 */
public final class WireGuardOutbound implements Outbound, UdpOutbound, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WireGuardOutbound.class);
  private static final String DEVICE_NAME = "turnwg%d";

  private final String name;
  private final String server;
  private final int port;
  private final Inet4Address address;
  private final Peer peer;
  private final boolean udp;
  private final Dialer dialer;
  private Promise<Started> starting;
  private boolean closed;

  WireGuardOutbound(
      String name,
      String server,
      int port,
      Inet4Address address,
      Peer peer,
      boolean udp,
      Dialer dialer) {
    this.name = name;
    this.server = server;
    this.port = port;
    this.address = address;
    this.peer = peer;
    this.udp = udp;
    this.dialer = dialer;
  }

  /** A running tunnel: its link, and DIRECT over its device. */
  private record Started(WireGuardLink link, DirectOutbound direct) {}

  @Override
  public String name() {
    return name;
  }

  @Override
  public String type() {
    return "WireGuard";
  }

  /** The peer's endpoint as configured. */
  public String server() {
    return server + ":" + port;
  }

  Peer peer() {
    return peer;
  }

  /** The device's name once the tunnel runs, else null. */
  public synchronized String deviceName() {
    Promise<Started> s = starting;
    return s != null && s.isSuccess() ? s.getNow().link().deviceName() : null;
  }

  @Override
  public Future<Channel> connect(Destination destination, EventLoop loop) {
    Promise<Channel> result = loop.newPromise();
    started(loop)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                result.tryFailure(f.cause());
                return;
              }
              DirectOutbound direct = ((Started) f.getNow()).direct();
              target(destination, loop)
                  .addListener(
                      t -> {
                        if (!t.isSuccess()) {
                          result.tryFailure(t.cause());
                          return;
                        }
                        Destination inside = (Destination) t.getNow();
                        direct.connect(inside, loop).addListener(c -> relay(c, result));
                      });
            });
    return result;
  }

  @SuppressWarnings("unchecked")
  private static void relay(Future<?> from, Promise<Channel> to) {
    if (from.isSuccess()) {
      if (!to.trySuccess((Channel) from.getNow())) {
        ((Channel) from.getNow()).close();
      }
    } else {
      to.tryFailure(from.cause());
    }
  }

  /**
   * The destination with an IPv4 address inside {@code allowed-ips} (names are resolved by
   * Turnout's resolver, as mihomo does without {@code remote-dns-resolve}).
   */
  private Future<Destination> target(Destination d, EventLoop loop) {
    if (d.address() != null) {
      return check(List.of(d.address()), d, loop);
    }
    Promise<Destination> p = loop.newPromise();
    dialer
        .resolve(d.host(), loop)
        .addListener(
            f -> {
              if (f.isSuccess()) {
                @SuppressWarnings("unchecked")
                List<InetAddress> all = (List<InetAddress>) f.getNow();
                check(all, d, loop).addListener(c -> relayDestination(c, p));
              } else {
                p.tryFailure(f.cause());
              }
            });
    return p;
  }

  private static void relayDestination(Future<?> from, Promise<Destination> to) {
    if (from.isSuccess()) {
      to.trySuccess((Destination) from.getNow());
    } else {
      to.tryFailure(from.cause());
    }
  }

  private Future<Destination> check(List<InetAddress> addresses, Destination d, EventLoop loop) {
    boolean sawV4 = false;
    for (InetAddress a : addresses) {
      if (a instanceof Inet4Address) {
        sawV4 = true;
        if (peer.allows(Cidr.host(a).firstIpv4())) {
          return loop.newSucceededFuture(new Destination(d.host(), a, d.port()));
        }
      }
    }
    return loop.newFailedFuture(
        new ConnectException(
            name
                + ": "
                + d
                + (sawV4
                    ? " is outside this WireGuard peer's allowed-ips"
                    : " has no IPv4 address; this WireGuard tunnel carries IPv4 only")));
  }

  @Override
  public Future<DatagramSession> openUdp(EventLoop loop, DatagramSession.Receiver receiver) {
    if (!udp) {
      return loop.newFailedFuture(
          new UnsupportedOperationException(name + ": udp is not enabled for this proxy"));
    }
    Promise<DatagramSession> result = loop.newPromise();
    started(loop)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                result.tryFailure(f.cause());
                return;
              }
              ((Started) f.getNow())
                  .direct()
                  .openUdp(loop, receiver)
                  .addListener(
                      s -> {
                        if (s.isSuccess()) {
                          result.trySuccess((DatagramSession) s.getNow());
                        } else {
                          result.tryFailure(s.cause());
                        }
                      });
            });
    return result;
  }

  /** The running tunnel, starting it on {@code loop} if nothing runs or the last start failed. */
  private synchronized Future<Started> started(EventLoop loop) {
    if (closed) {
      return loop.newFailedFuture(new IOException(name + ": closed"));
    }
    if (starting == null || starting.isDone() && !starting.isSuccess()) {
      Promise<Started> p = loop.newPromise();
      starting = p;
      start(loop, p);
    }
    return starting;
  }

  private void start(EventLoop loop, Promise<Started> promise) {
    dialer
        .resolve(server, loop)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                promise.tryFailure(new IOException(name + ": cannot resolve " + server, f.cause()));
                return;
              }
              @SuppressWarnings("unchecked")
              List<InetAddress> all = (List<InetAddress>) f.getNow();
              InetAddress chosen =
                  all.stream()
                      .filter(a -> a instanceof Inet4Address)
                      .findFirst()
                      .orElse(all.get(0));
              open(new InetSocketAddress(chosen, port), loop, promise);
            });
  }

  private void open(InetSocketAddress endpoint, EventLoop loop, Promise<Started> promise) {
    TunDevice device;
    try {
      device = TunDevice.open(DEVICE_NAME, address, 32, peer.mtu());
      DeviceSettings.apply(device.name());
    } catch (IOException | RuntimeException e) {
      promise.tryFailure(new IOException(name + ": " + e.getMessage(), e));
      return;
    }
    dialer
        .openDatagram(endpoint.getAddress() instanceof Inet6Address, loop)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                device.close();
                promise.tryFailure(f.cause());
                return;
              }
              Channel socket = (Channel) f.getNow();
              WireGuardLink link =
                  new WireGuardLink(
                      name,
                      device,
                      socket,
                      endpoint,
                      peer.mtu(),
                      wire ->
                          new Tunnel(
                              name,
                              peer,
                              TimeSource.SYSTEM,
                              new SecureRandom(),
                              PooledByteBufAllocator.DEFAULT,
                              wire));
              Started s = new Started(link, new DirectOutbound(dialer.onDevice(device.name())));
              LOG.info(
                  "wireguard {}: tunnel device {} ({}) to peer {}",
                  name,
                  device.name(),
                  address.getHostAddress(),
                  endpoint);
              boolean keep;
              synchronized (this) {
                keep = !closed && promise.trySuccess(s);
              }
              if (!keep) {
                link.close();
                return;
              }
              socket.closeFuture().addListener(c -> lost(promise, link));
            });
  }

  /**
   * The tunnel's UDP socket closed while in use (an error, not {@link #close}): deletes the device
   * and lets the next use start afresh.
   */
  private void lost(Promise<Started> running, WireGuardLink link) {
    synchronized (this) {
      if (closed || starting != running) {
        return;
      }
      starting = null;
    }
    LOG.warn("wireguard {}: the tunnel's socket closed; restarting on the next use", name);
    java.util.concurrent.ForkJoinPool.commonPool().execute(link::close); // waits for its reader
  }

  /** Stops the tunnel and deletes its device; connections through it end. Idempotent. */
  @Override
  public void close() {
    Promise<Started> s;
    synchronized (this) {
      closed = true;
      s = starting;
    }
    if (s != null && s.isSuccess()) {
      s.getNow().link().close();
    }
  }
}
