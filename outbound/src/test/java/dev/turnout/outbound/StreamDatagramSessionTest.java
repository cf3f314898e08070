package dev.turnout.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One stream per destination: opened on the first datagram, replies tagged, bounded. */
class StreamDatagramSessionTest {
  private final EmbeddedChannel loopHolder = new EmbeddedChannel();
  private final EventLoop loop = loopHolder.eventLoop();
  private final Map<Destination, EmbeddedChannel> opened = new LinkedHashMap<>();
  private final List<String> received = new ArrayList<>();

  private StreamDatagramSession session() {
    return new StreamDatagramSession(
        loop,
        100,
        d -> {
          EmbeddedChannel ch = new EmbeddedChannel();
          ch.config().setAutoRead(false);
          opened.put(d, ch);
          return loop.<Channel>newSucceededFuture(ch);
        },
        (source, payload) -> {
          received.add(source + " " + payload.toString(StandardCharsets.US_ASCII));
          payload.release();
        });
  }

  private static ByteBuf text(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
  }

  @Test
  void eachDestinationGetsItsOwnStreamAndRepliesComeFromIt() {
    StreamDatagramSession s = session();
    Destination a = new Destination("a.example", null, 53);
    Destination b = new Destination("b.example", null, 53);
    s.send(a, text("1"));
    s.send(a, text("2"));
    s.send(b, text("3"));
    assertThat(opened).containsOnlyKeys(a, b);
    assertThat(Channels.sentHex(opened.get(a))).isEqualTo("3132");
    opened.get(b).writeInbound(text("reply"));
    assertThat(received).containsExactly("b.example:53 reply");
    s.close();
    assertThat(opened.get(a).isOpen()).isFalse();
    assertThat(s.closeFuture().isDone()).isTrue();
  }

  @Test
  void datagramsLongerThanTheFramingCarriesAreDropped() {
    StreamDatagramSession s = session();
    ByteBuf big = Unpooled.wrappedBuffer(new byte[101]);
    s.send(new Destination("a.example", null, 53), big);
    assertThat(opened).isEmpty();
    assertThat(big.refCnt()).isZero();
    s.close();
  }

  @Test
  void destinationsAreBounded() {
    StreamDatagramSession s = session();
    for (int i = 0; i < StreamDatagramSession.MAX_DESTINATIONS + 5; i++) {
      s.send(new Destination("h" + i + ".example", null, 53), text("x"));
    }
    assertThat(opened).hasSize(StreamDatagramSession.MAX_DESTINATIONS);
    s.close();
  }
}
