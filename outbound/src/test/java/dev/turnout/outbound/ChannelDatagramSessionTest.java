package dev.turnout.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The session over a datagram codec, with a codec that passes datagrams through unchanged. */
class ChannelDatagramSessionTest {
  private final RecordingAllocator alloc = new RecordingAllocator();
  private final Destination peer = new Destination("example.org", null, 53);
  private final List<String> received = new ArrayList<>();

  private final DatagramSession.Receiver receiver =
      (source, payload) -> {
        received.add(source + " " + payload.readableBytes());
        payload.release();
      };

  @Test
  void sendsThroughTheCodecDeliversWhatItDecodesAndClosesWithTheControlChannel() {
    EmbeddedChannel udp = new EmbeddedChannel();
    EmbeddedChannel control = new EmbeddedChannel();
    DatagramSession session =
        ChannelDatagramSession.open(udp, new ChannelDuplexHandler(), control, receiver);

    session.send(peer, alloc.buffer().writeZero(3));
    AddressedDatagram out = udp.readOutbound();
    assertThat(out.peer()).isEqualTo(peer);
    assertThat(out.content().readableBytes()).isEqualTo(3);
    out.release();

    udp.writeInbound(new AddressedDatagram(peer, alloc.buffer().writeZero(5)));
    assertThat(received).containsExactly("example.org:53 5");

    control.close();
    assertThat(session.closeFuture().isDone()).isTrue();
    assertThat(udp.isOpen()).isFalse();
    ByteBuf late = alloc.buffer().writeZero(1);
    session.send(peer, late);
    assertThat(late.refCnt()).isZero();
    alloc.assertAllReleased();
  }

  @Test
  void closingTheSessionClosesBothChannels() {
    EmbeddedChannel udp = new EmbeddedChannel();
    EmbeddedChannel control = new EmbeddedChannel();
    DatagramSession session =
        ChannelDatagramSession.open(udp, new ChannelDuplexHandler(), control, receiver);
    session.close();
    assertThat(session.closeFuture().isDone()).isTrue();
    assertThat(udp.isOpen()).isFalse();
    assertThat(control.isOpen()).isFalse();
    // Without a control channel the datagram channel alone decides.
    EmbeddedChannel alone = new EmbeddedChannel();
    DatagramSession other =
        ChannelDatagramSession.open(alone, new ChannelDuplexHandler(), null, receiver);
    alone.close();
    assertThat(other.closeFuture().isDone()).isTrue();
  }
}
