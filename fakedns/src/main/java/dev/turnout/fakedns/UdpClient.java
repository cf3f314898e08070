package dev.turnout.fakedns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.Message;
import org.xbill.DNS.io.UdpIoClient;

/**
 * DNS over UDP for dnsjava's {@code SimpleResolver}: one fresh socket (kernel-chosen port,
 * connected to the server, marked by {@link MarkedChannels}) per query. Datagrams shorter than a
 * DNS header or carrying another ID are dropped and the wait goes on until the timeout; the first
 * matching one completes the query and closes the socket. Used instead of dnsjava's own UDP client
 * because that one cannot set {@code SO_MARK}. Thread-safe.
 */
final class UdpClient implements UdpIoClient {
  private static final int MAX_DATAGRAM = 65535;

  private final MarkedChannels channels;

  UdpClient(MarkedChannels channels) {
    this.channels = channels;
  }

  @Override
  public CompletableFuture<byte[]> sendAndReceiveUdp(
      InetSocketAddress local,
      InetSocketAddress remote,
      Message query,
      byte[] data,
      int max,
      Duration timeout) {
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    int id = query.getHeader().getID();
    channels
        .open(EpollDatagramChannel.class, new Reply(id, result))
        .whenComplete(
            (ch, error) -> {
              if (error != null) {
                result.completeExceptionally(error);
                return;
              }
              result.whenComplete((answer, e) -> ch.close());
              ch.config()
                  .setOption(
                      ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM));
              ch.eventLoop()
                  .schedule(
                      () ->
                          result.completeExceptionally(
                              new SocketTimeoutException("no UDP answer from " + remote)),
                      timeout.toMillis(),
                      TimeUnit.MILLISECONDS);
              InetSocketAddress bindTo =
                  local != null ? local : new InetSocketAddress(wildcardFor(remote), 0);
              ch.bind(bindTo)
                  .addListener(
                      b -> sendIfBound(b.isSuccess(), b.cause(), ch, remote, data, result));
            });
    return result;
  }

  private static void sendIfBound(
      boolean bound,
      Throwable cause,
      Channel ch,
      InetSocketAddress remote,
      byte[] data,
      CompletableFuture<byte[]> result) {
    if (!bound) {
      result.completeExceptionally(new IOException("cannot bind a UDP socket", cause));
      return;
    }
    ch.connect(remote)
        .addListener(
            c -> {
              if (!c.isSuccess()) {
                result.completeExceptionally(c.cause());
                return;
              }
              ch.writeAndFlush(Unpooled.wrappedBuffer(data))
                  .addListener(
                      w -> {
                        if (!w.isSuccess()) {
                          result.completeExceptionally(w.cause());
                        }
                      });
            });
  }

  private static java.net.InetAddress wildcardFor(InetSocketAddress remote) {
    try {
      return java.net.InetAddress.getByAddress(
          new byte[remote.getAddress() instanceof java.net.Inet6Address ? 16 : 4]);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** Completes the query with the first datagram that carries its ID. */
  private static final class Reply extends SimpleChannelInboundHandler<DatagramPacket> {
    private final int id;
    private final CompletableFuture<byte[]> result;

    Reply(int id, CompletableFuture<byte[]> result) {
      this.id = id;
      this.result = result;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      ByteBuf content = packet.content();
      if (content.readableBytes() < 12 || content.getUnsignedShort(content.readerIndex()) != id) {
        return; // not our answer (late, spoofed or garbage): keep waiting
      }
      result.complete(ByteBufUtil.getBytes(content)); // whole: dnsjava parses, checks truncation
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // ICMP port unreachable on a connected socket: the server is not there
      result.completeExceptionally(
          cause instanceof IOException ? cause : new IOException("UDP DNS query failed", cause));
    }
  }
}
