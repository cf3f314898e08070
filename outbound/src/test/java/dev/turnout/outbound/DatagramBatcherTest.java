package dev.turnout.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDatagramChannel;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A real socket on loopback (MTU 64 KiB: GSO sends go through): whatever runs the batcher groups,
 * every datagram arrives whole, once, in order, at its own peer.
 */
class DatagramBatcherTest {
  @Test
  void everyDatagramArrivesWholeAndInOrderWhateverTheSizesAndPeers() throws Exception {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    Random random = new Random(21);
    try (DatagramSocket one = receiver(loopback);
        DatagramSocket two = receiver(loopback)) {
      Channel udp =
          new Bootstrap()
              .group(Channels.loop())
              .channel(EpollDatagramChannel.class)
              .handler(new ChannelInboundHandlerAdapter())
              .bind(new InetSocketAddress(loopback, 0))
              .sync()
              .channel();
      try {
        DatagramBatcher batcher = new DatagramBatcher(udp);
        List<byte[]> toOne = new ArrayList<>();
        List<byte[]> toTwo = new ArrayList<>();
        for (int turn = 0; turn < 20; turn++) {
          List<byte[]> sent = new ArrayList<>();
          List<Boolean> peers = new ArrayList<>();
          for (int i = 0; i < 40; i++) {
            byte[] datagram = new byte[size(random)];
            random.nextBytes(datagram);
            boolean first = random.nextInt(10) < 8; // mostly runs to one peer
            sent.add(datagram);
            peers.add(first);
            (first ? toOne : toTwo).add(datagram);
          }
          udp.eventLoop()
              .submit(
                  () -> {
                    for (int i = 0; i < sent.size(); i++) {
                      DatagramSocket to = peers.get(i) ? one : two;
                      batcher.send(
                          Unpooled.directBuffer().writeBytes(sent.get(i)),
                          (InetSocketAddress) to.getLocalSocketAddress());
                    }
                  })
              .sync();
        }
        assertThat(received(one, toOne.size())).containsExactlyElementsOf(hex(toOne));
        assertThat(received(two, toTwo.size())).containsExactlyElementsOf(hex(toTwo));
        assertThat(udp.eventLoop().submit(batcher::gsoSends).get()).as("GSO sends").isPositive();
      } finally {
        udp.close().sync();
      }
    }
  }

  /**
   * Mostly one size, as a bulk sender's; sometimes shorter, or too big for GSO. (Not empty: Netty's
   * epoll channel sends no empty datagram, batched or not.)
   */
  private static int size(Random random) {
    int pick = random.nextInt(10);
    if (pick < 7) {
      return 1400;
    }
    return pick < 9 ? random.nextInt(1, 1473) : 3000;
  }

  private static DatagramSocket receiver(InetAddress address) throws Exception {
    DatagramSocket socket = new DatagramSocket(new InetSocketAddress(address, 0));
    socket.setReceiveBufferSize(4 << 20);
    socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(5));
    return socket;
  }

  private static List<String> received(DatagramSocket socket, int expected) throws Exception {
    List<String> out = new ArrayList<>();
    byte[] buffer = new byte[65536];
    try {
      while (out.size() < expected + 1) { // one more: none may arrive twice
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        socket.setSoTimeout(out.size() < expected ? 5000 : 200);
        socket.receive(packet);
        out.add(hex(Arrays.copyOf(packet.getData(), packet.getLength())));
      }
    } catch (SocketTimeoutException e) {
      // all there is
    }
    return out;
  }

  private static List<String> hex(List<byte[]> datagrams) {
    return datagrams.stream().map(DatagramBatcherTest::hex).toList();
  }

  private static String hex(byte[] datagram) {
    StringBuilder s =
        new StringBuilder(datagram.length * 2 + 8).append(datagram.length).append(':');
    for (byte b : datagram) {
      s.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return s.toString();
  }
}
