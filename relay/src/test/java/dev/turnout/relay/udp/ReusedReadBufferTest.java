package dev.turnout.relay.udp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.relay.HalfCloseSafeEpoll;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ReusedReadBufferTest {
  private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

  @Test
  void eachReadGetsTheWholeBufferAndTheSameOneOnceTheLastReadLetGo() {
    RecvByteBufAllocator.Handle handle = new ReusedReadBuffer(16, 2048, 64).newHandle();
    ByteBuf first = handle.allocate(ALLOC);
    assertThat(first.writableBytes()).isEqualTo(16 * 2048);
    long address = first.memoryAddress();
    first.writeBytes(new byte[100]);
    first.retainedSlice(0, 100).release();
    first.release();

    ByteBuf second = handle.allocate(ALLOC);
    assertThat(second.memoryAddress()).isEqualTo(address);
    assertThat(second.readerIndex()).isZero();
    assertThat(second.writableBytes()).as("the last read's indices are gone").isEqualTo(16 * 2048);
    second.release();
  }

  @Test
  void whileASliceOfTheLastReadLivesTheNextReadGetsAnotherBuffer() {
    RecvByteBufAllocator.Handle handle = new ReusedReadBuffer(4, 2048, 64).newHandle();
    ByteBuf first = handle.allocate(ALLOC);
    first.writeCharSequence("kept", StandardCharsets.US_ASCII);
    ByteBuf kept = first.retainedSlice(0, 4);
    first.release();

    ByteBuf second = handle.allocate(ALLOC);
    assertThat(second.memoryAddress()).isNotEqualTo(first.memoryAddress());
    second.writeBytes(new byte[4 * 2048]);
    assertThat(kept.toString(StandardCharsets.US_ASCII)).isEqualTo("kept");
    kept.release();
    second.release();
    assertThat(handle.allocate(ALLOC).memoryAddress())
        .as("the new buffer is the one kept from now on")
        .isEqualTo(second.memoryAddress());
  }

  /**
   * A real epoll channel with recvmmsg(2): 100 datagrams sent before it reads arrive whole and in
   * order, 16 to a read, in one buffer that every read fills again.
   */
  @Test
  void aBurstArrivesWholeSixteenToARecvmmsgThroughOneBuffer() throws Exception {
    EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, HalfCloseSafeEpoll.newFactory());
    List<String> received = Collections.synchronizedList(new ArrayList<>());
    List<Long> addresses = Collections.synchronizedList(new ArrayList<>());
    List<Integer> perRead = Collections.synchronizedList(new ArrayList<>());
    try (DatagramSocket sender = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      Channel channel =
          new Bootstrap()
              .group(loop)
              .channel(EpollDatagramChannel.class)
              .option(ChannelOption.AUTO_READ, false)
              .option(ChannelOption.SO_RCVBUF, 1 << 20)
              .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, 2048)
              .option(ChannelOption.RCVBUF_ALLOCATOR, new ReusedReadBuffer(16, 2048, 200))
              .handler(
                  new SimpleChannelInboundHandler<DatagramPacket>() {
                    private int inThisRead;

                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                      addresses.add(p.content().memoryAddress());
                      received.add(p.content().toString(StandardCharsets.US_ASCII));
                      inThisRead++;
                    }

                    @Override
                    public void channelReadComplete(ChannelHandlerContext ctx) {
                      perRead.add(inThisRead);
                      inThisRead = 0;
                    }
                  })
              .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
              .sync()
              .channel();
      List<String> sent = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        String text = "datagram " + i + " " + "x".repeat(i % 10 * 150);
        sent.add(text);
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        sender.send(new java.net.DatagramPacket(bytes, bytes.length, channel.localAddress()));
      }
      // Without auto-read, each read() is one recvmmsg(2).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (received.size() < 100 && System.nanoTime() < deadline) {
        int before = received.size();
        channel.read();
        while (received.size() == before && System.nanoTime() < deadline) {
          Thread.sleep(1);
        }
      }
      channel.close().sync();
      assertThat(received).containsExactlyElementsOf(sent);
      assertThat(perRead).containsExactly(16, 16, 16, 16, 16, 16, 4);
      // Datagram i sat in slot i % 16 of one and the same buffer: sixteen to a read.
      Set<Long> bases = new HashSet<>();
      for (int i = 0; i < 100; i++) {
        bases.add(addresses.get(i) - (i % 16) * 2048L);
      }
      assertThat(bases).hasSize(1);
    } finally {
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }
}
