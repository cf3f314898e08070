package dev.turnout.outbound.vmess;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.outbound.Channels;
import dev.turnout.outbound.Destination;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The server side of VMess on bytes: the reference client request of {@link VmessCodecTest} (from
 * vectors.py, which shares no code with Turnout) is read, and the answer is the reference server's;
 * Turnout's own client, with every option it speaks and UDP, talks to it; authIDs of no user, out
 * of the time window or seen before are refused.
 */
class VmessServerTest {
  private final AtomicLong now = new AtomicLong(VmessCodecTest.TIME);
  private final List<String> refused = new ArrayList<>();

  private EmbeddedChannel server(String uuid) {
    EmbeddedChannel ch = new EmbeddedChannel();
    VmessServer.of(Map.of("alice", uuid), now::get)
        .install(ch.pipeline(), (c, why) -> refused.add(why));
    return ch;
  }

  private static ByteBuf bytes(String hex) {
    return Unpooled.wrappedBuffer(HexFormat.of().parseHex(hex));
  }

  private static String text(ByteBuf b) {
    try {
      return b.toString(StandardCharsets.US_ASCII);
    } finally {
      b.release();
    }
  }

  @ParameterizedTest
  @EnumSource(VmessCodecTest.Vectors.class)
  void theReferenceRequestIsReadAndAnsweredAsTheReferenceServerAnswers(VmessCodecTest.Vectors v) {
    EmbeddedChannel ch = server(VmessCodecTest.USER.toString());
    byte[] request = HexFormat.of().parseHex(v.sealed + v.hello);
    for (int at = 0; at < request.length; at += 7) { // in slices
      ch.writeInbound(Unpooled.wrappedBuffer(request, at, Math.min(7, request.length - at)));
    }
    assertThat((Object) ch.readInbound())
        .isEqualTo(
            new VmessServer.Request(
                "alice", VmessServer.Command.TCP, new Destination("example.org", null, 443)));
    assertThat(text(ch.readInbound())).isEqualTo("hello");
    ch.writeOutbound(Unpooled.copiedBuffer("world", StandardCharsets.US_ASCII));
    // the reference answer, but for the empty chunk that ends it (2 + 16 bytes)
    String sent = Channels.sentHex(ch);
    assertThat(v.response).startsWith(sent);
    assertThat(v.response.length() - sent.length()).isEqualTo(2 * 18);
    assertThat(refused).isEmpty();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void anotherUserAClockOffByMoreThanTwoMinutesAndAReplayAreRefused() {
    VmessCodecTest.Vectors v = VmessCodecTest.Vectors.AES_128_GCM;
    EmbeddedChannel other = server(UUID.randomUUID().toString());
    other.writeInbound(bytes(v.sealed));
    assertThat(other.isOpen()).isFalse();
    assertThat((Object) other.readInbound()).isNull();

    now.set(VmessCodecTest.TIME + 121);
    EmbeddedChannel late = server(VmessCodecTest.USER.toString());
    late.writeInbound(bytes(v.sealed));
    assertThat(late.isOpen()).isFalse();
    assertThat(refused).hasSize(2).allMatch(r -> r.startsWith("a request of no user"));

    now.set(VmessCodecTest.TIME + 119);
    VmessServer server = VmessServer.of(Map.of("alice", VmessCodecTest.USER.toString()), now::get);
    EmbeddedChannel first = new EmbeddedChannel();
    server.install(first.pipeline(), (c, why) -> refused.add(why));
    first.writeInbound(bytes(v.sealed));
    assertThat((Object) first.readInbound()).isInstanceOf(VmessServer.Request.class);
    EmbeddedChannel replay = new EmbeddedChannel();
    server.install(replay.pipeline(), (c, why) -> refused.add(why));
    replay.writeInbound(bytes(v.sealed));
    assertThat(replay.isOpen()).isFalse();
    assertThat(refused).last().isEqualTo("a replayed request");
  }

  /** Turnout's client with chunk masking and padding, over UDP: one chunk is one datagram. */
  @ParameterizedTest
  @EnumSource(VmessCodecTest.Vectors.class)
  void turnoutsClientWithEveryOptionCarriesDatagrams(VmessCodecTest.Vectors v) {
    SecureRandom random = new SecureRandom();
    int options =
        VmessSession.OPTION_CHUNK_STREAM
            | VmessSession.OPTION_CHUNK_MASKING
            | VmessSession.OPTION_GLOBAL_PADDING;
    VmessSession session = new VmessSession(v.security, options, false, random);
    Destination dns = new Destination(null, java.net.InetAddress.getLoopbackAddress(), 53);
    byte[] header = VmessHeader.request(session, dns, VmessHeader.COMMAND_UDP, random);
    long time = System.currentTimeMillis() / 1000;
    now.set(time);
    EmbeddedChannel client =
        new EmbeddedChannel(
            new VmessCodec(
                session,
                VmessHeader.seal(
                    VmessHeader.commandKey(VmessCodecTest.USER), header, time, random)));
    EmbeddedChannel ch = server(VmessCodecTest.USER.toString());
    client.writeOutbound(Unpooled.copiedBuffer("query-1", StandardCharsets.US_ASCII));
    client.writeOutbound(Unpooled.copiedBuffer("query-2", StandardCharsets.US_ASCII));
    for (ByteBuf b; (b = client.readOutbound()) != null; ) {
      ch.writeInbound(b);
    }
    assertThat((Object) ch.readInbound())
        .isEqualTo(new VmessServer.Request("alice", VmessServer.Command.UDP, dns));
    assertThat(text(ch.readInbound())).isEqualTo("query-1");
    assertThat(text(ch.readInbound())).isEqualTo("query-2");
    ch.writeOutbound(Unpooled.copiedBuffer("answer", StandardCharsets.US_ASCII));
    for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
      client.writeInbound(b);
    }
    assertThat(text(client.readInbound())).isEqualTo("answer");
    assertThat(refused).isEmpty();
    client.finishAndReleaseAll();
    ch.finishAndReleaseAll();
  }
}
