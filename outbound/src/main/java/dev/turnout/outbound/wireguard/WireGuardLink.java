package dev.turnout.outbound.wireguard;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.turnout.natrewrite.PacketDevice;
import dev.turnout.netbase.LogLimiter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O around a {@link Tunnel}: a thread that reads IP packets from the device (Turnout's own
 * TUN, where the kernel's TCP/UDP stack sends what sockets bound to it write) and hands them to the
 * tunnel's event loop in batches; one UDP channel (marked like every Turnout socket) to the peer's
 * endpoint, whose datagrams go to the tunnel; decrypted packets written back into the device; the
 * tunnel's timer. At most {@link #MAX_IN_FLIGHT} packets wait for the event loop; more are dropped
 * (TCP retransmits) rather than queued without bound.
 *
 * <p>Thread-safe: {@link #close} may be called from any thread, once the link is no longer used.
 * Owns the device and the channel and closes both.
 */
final class WireGuardLink implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WireGuardLink.class);
  static final int MAX_IN_FLIGHT = 2048;
  private static final int BATCH = 64;
  private static final int POLL_MILLIS = 200;
  private static final long TICK_MILLIS = 250;

  private final PacketDevice device;
  private final Channel udp;
  private final InetSocketAddress endpoint;
  private final EventLoop loop;
  private final Tunnel tunnel;
  private final int mtu;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final LogLimiter errorLog = new LogLimiter(1, 5);
  private final Thread reader;
  private final ScheduledFuture<?> timer;
  private volatile boolean running = true;
  private long unexpectedSenders;

  /**
   * Starts reading {@code device} and {@code udp}; the tunnel is built here on {@code udp}'s loop.
   */
  WireGuardLink(
      String name,
      PacketDevice device,
      Channel udp,
      InetSocketAddress endpoint,
      int mtu,
      TunnelFactory tunnels) {
    this.device = device;
    this.udp = udp;
    this.endpoint = endpoint;
    this.loop = udp.eventLoop();
    this.mtu = mtu;
    this.tunnel = tunnels.create(new Output());
    udp.pipeline().addLast(new FromPeer());
    this.timer =
        loop.scheduleAtFixedRate(
            () -> {
              tunnel.tick();
              udp.flush(); // retries and keepalives
            },
            TICK_MILLIS,
            TICK_MILLIS,
            TimeUnit.MILLISECONDS);
    this.reader = new Thread(this::read, "wireguard-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /** Builds the tunnel once its output exists. */
  interface TunnelFactory {
    Tunnel create(Tunnel.Wire wire);
  }

  Tunnel tunnel() {
    return tunnel;
  }

  String deviceName() {
    return device.name();
  }

  private void read() {
    try {
      while (running) {
        List<ByteBuf> batch = new ArrayList<>(BATCH);
        while (batch.size() < BATCH) {
          ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(mtu + 16);
          int n = device.read(address(b), mtu);
          if (n < 0) {
            b.release();
            break;
          }
          b.writerIndex(n);
          if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
            inFlight.decrementAndGet();
            b.release();
            continue;
          }
          batch.add(b);
        }
        if (batch.isEmpty()) {
          device.awaitReadable(POLL_MILLIS);
          continue;
        }
        loop.execute(
            () -> {
              for (ByteBuf b : batch) {
                inFlight.decrementAndGet();
                tunnel.outgoing(b);
              }
              udp.flush();
            });
      }
    } catch (IOException e) {
      if (running) {
        LOG.error("wireguard: reading {} stopped: {}", device.name(), e.getMessage());
      }
    } catch (RuntimeException | Error e) {
      LOG.error("wireguard: reading {} failed", device.name(), e);
    }
  }

  private static long address(ByteBuf b) {
    if (b.hasMemoryAddress()) {
      return b.memoryAddress();
    }
    return Pointer.nativeValue(Native.getDirectBufferPointer(b.nioBuffer(0, b.capacity())));
  }

  @Override
  public void close() {
    running = false;
    timer.cancel(false);
    udp.close();
    try {
      reader.join(2 * POLL_MILLIS + 1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      loop.execute(tunnel::close);
    } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
      // The loop is gone, and the tunnel's buffers with it.
    }
    if (device instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("wireguard: closing {}: {}", device.name(), e.toString());
      }
    }
  }

  /**
   * The tunnel's output: datagrams to the endpoint (flushed per batch), packets into the device.
   */
  private final class Output implements Tunnel.Wire {
    @Override
    public void toPeer(ByteBuf datagram) {
      udp.write(new DatagramPacket(datagram, endpoint), udp.voidPromise());
    }

    @Override
    public void toDevice(ByteBuf packet) {
      try {
        device.write(address(packet) + packet.readerIndex(), packet.readableBytes());
      } catch (IOException e) {
        if (errorLog.allow()) {
          LOG.warn("wireguard: {}", e.getMessage());
        }
      } finally {
        packet.release();
      }
    }
  }

  /** Datagrams from the peer's endpoint go to the tunnel; others are counted and dropped. */
  private final class FromPeer extends SimpleChannelInboundHandler<DatagramPacket> {
    FromPeer() {
      super(false);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      if (!endpoint.equals(packet.sender())) {
        unexpectedSenders++;
        packet.release();
        return;
      }
      tunnel.incoming(packet.content());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      udp.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (errorLog.allow()) {
        LOG.debug("wireguard: udp: {}", cause.toString()); // ICMP errors: the peer is down
      }
    }
  }
}
