package dev.turnout.outbound.socks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.turnout.outbound.AddressedDatagram;
import dev.turnout.outbound.Channels;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.RecordingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.socksx.v5.DefaultSocks5CommandRequest;
import io.netty.handler.codec.socksx.v5.DefaultSocks5CommandResponse;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5CommandResponse;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client side of the SOCKS5 handshake on bytes, through an EmbeddedChannel: what goes out for
 * each step and destination kind, and what each server reply does, including replies that are
 * refusals, malformed, split into single bytes or cut short.
 */
class Socks5CodecTest {
  private static final Destination DOMAIN = new Destination("example.org", null, 443);

  private final RecordingAllocator alloc = new RecordingAllocator();
  private final EmbeddedChannel ch = channel();
  private Promise<Socks5CommandResponse> reply;

  @AfterEach
  void noExceptionEscapedAndNothingLeft() {
    assertThatCode(ch::checkException).doesNotThrowAnyException();
    ch.finishAndReleaseAll();
    alloc.assertAllReleased();
  }

  /** A channel whose buffers, and those of its handlers, come from {@link #alloc}. */
  private EmbeddedChannel channel(ChannelHandler... handlers) {
    EmbeddedChannel c = new EmbeddedChannel();
    c.config().setAllocator(alloc);
    c.pipeline().addLast(handlers);
    return c;
  }

  private ByteBuf in(String hex) {
    return alloc.buffer().writeBytes(bytes(hex));
  }

  private static byte[] bytes(String hex) {
    return HexFormat.of().parseHex(hex.replace(" ", ""));
  }

  private static String ascii(String text) {
    return HexFormat.of().formatHex(text.getBytes(StandardCharsets.US_ASCII));
  }

  /** Installs a handshake for {@code request} on {@code c}; the promise gets the reply. */
  private static Promise<Socks5CommandResponse> install(
      EmbeddedChannel c, String user, String password, DefaultSocks5CommandRequest request) {
    Promise<Socks5CommandResponse> p = c.eventLoop().newPromise();
    new Socks5Handshake(user, password, request, p).install(c);
    return p;
  }

  /** Installs a handshake for {@code request} and returns the greeting it sent. */
  private String start(String user, String password, DefaultSocks5CommandRequest request) {
    reply = install(ch, user, password, request);
    return sent();
  }

  private String start(Destination d) {
    return start(null, null, Socks5Handshake.commandRequest(Socks5CommandType.CONNECT, d));
  }

  private String sent() {
    return Channels.sentHex(ch);
  }

  private void receive(String hexBytes) {
    ch.writeInbound(in(hexBytes));
  }

  private String failure() {
    assertThat(reply.isDone()).isTrue();
    assertThat(reply.isSuccess()).isFalse();
    return reply.cause().getMessage();
  }

  @Test
  void noAuthConnectByDomainThenBytesAfterTheReplyContinueDownThePipeline() {
    assertThat(start(DOMAIN)).isEqualTo("050100");
    receive("0500");
    assertThat(sent()).isEqualTo("05010003" + "0b" + ascii("example.org") + "01bb");
    receive("05000001 7f000001 0050" + ascii("SSH-"));
    assertThat(reply.isSuccess()).isTrue();
    assertThat(reply.getNow().bndAddr()).isEqualTo("127.0.0.1");
    assertThat(alloc.count()).as("the codec's buffers are counted").isPositive();
    assertThat(ch.pipeline().names()).doesNotContain("socks5-decoder", "socks5-encoder");
    ByteBuf tail = ch.readInbound();
    assertThat(tail.toString(StandardCharsets.US_ASCII)).isEqualTo("SSH-");
    tail.release();
  }

  @Test
  void usernamePasswordFollowsTheGreetingWhenTheServerPicksIt() {
    assertThat(start("user", "secret", commandTo(DOMAIN))).isEqualTo("05020002");
    receive("0502");
    assertThat(sent()).isEqualTo("01" + "04" + ascii("user") + "06" + ascii("secret"));
    receive("0100");
    assertThat(sent()).startsWith("05010003");
    receive("0500000100000000" + "0000");
    assertThat(reply.isSuccess()).isTrue();
  }

  private static DefaultSocks5CommandRequest commandTo(Destination d) {
    return Socks5Handshake.commandRequest(Socks5CommandType.CONNECT, d);
  }

  @Test
  void refusedPasswordFailsAndCloses() {
    start("user", "wrong", commandTo(DOMAIN));
    receive("0502");
    sent();
    receive("0101");
    assertThat(failure()).isEqualTo("SOCKS5 server refused the username/password");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void aMethodNotOfferedFails() {
    start(DOMAIN);
    receive("05ff");
    assertThat(failure()).isEqualTo("SOCKS5 server wants an unsupported method: UNACCEPTED(255)");
    assertThat(ch.isOpen()).isFalse();
    // Without credentials, the server asking for a password is as good as refusing.
    EmbeddedChannel other = channel();
    Promise<Socks5CommandResponse> p = install(other, null, null, commandTo(DOMAIN));
    other.writeInbound(in("0502"));
    assertThat(p.cause()).hasMessageContaining("unsupported method: PASSWORD");
    other.finishAndReleaseAll();
  }

  @Test
  void literalDestinationsGoOutAsIpv4OrIpv6() throws Exception {
    Destination v4 = new Destination(null, InetAddress.getByName("198.51.100.7"), 80);
    assertThat(commandBytes(v4)).isEqualTo("05010001" + "c6336407" + "0050");
    // A name that is a literal is sent as the address, not as a domain.
    assertThat(commandBytes(new Destination("198.51.100.7", null, 80)))
        .isEqualTo("05010001" + "c6336407" + "0050");
    Destination v6 = new Destination(null, InetAddress.getByName("2001:db8::1"), 443);
    assertThat(commandBytes(v6))
        .isEqualTo("05010004" + "20010db8000000000000000000000001" + "01bb");
    assertThat(commandBytes(new Destination("[2001:db8::1]", null, 443)))
        .isEqualTo("05010004" + "20010db8000000000000000000000001" + "01bb");
  }

  private String commandBytes(Destination d) {
    EmbeddedChannel c = channel();
    install(c, null, null, commandTo(d));
    ByteBuf greeting = c.readOutbound();
    greeting.release();
    c.writeInbound(in("0500"));
    ByteBuf command = c.readOutbound();
    String s = ByteBufUtil.hexDump(command);
    command.release();
    c.finishAndReleaseAll();
    return s;
  }

  @Test
  void udpAssociateAsksFromTheWildcardAddress() {
    start(null, null, Socks5Handshake.udpAssociateRequest());
    receive("0500");
    assertThat(sent()).isEqualTo("05030001" + "00000000" + "0000");
    // The relay address may be IPv6 or a name; both are accepted.
    receive("05000004" + "20010db8000000000000000000000002" + "1f90");
    assertThat(reply.getNow().bndAddr()).isEqualTo("2001:db8::2");
    assertThat(reply.getNow().bndPort()).isEqualTo(8080);
  }

  @Test
  void aReplyWithADomainBoundAddressIsAccepted() {
    start(DOMAIN);
    receive("0500");
    sent();
    receive("05000003" + "0b" + ascii("example.net") + "0438");
    assertThat(reply.getNow().bndAddr()).isEqualTo("example.net");
    assertThat(reply.getNow().bndPort()).isEqualTo(1080);
  }

  @Test
  void errorRepliesFailWithTheirStatus() {
    String[] expected = {
      "",
      "FAILURE(1)",
      "FORBIDDEN(2)",
      "NETWORK_UNREACHABLE(3)",
      "HOST_UNREACHABLE(4)",
      "CONNECTION_REFUSED(5)",
      "TTL_EXPIRED(6)",
      "COMMAND_UNSUPPORTED(7)",
      "ADDRESS_UNSUPPORTED(8)"
    };
    for (int status = 1; status <= 8; status++) {
      EmbeddedChannel c = channel();
      Promise<Socks5CommandResponse> p = install(c, null, null, commandTo(DOMAIN));
      c.writeInbound(in("0500"));
      c.writeInbound(in("050" + status + "0001000000000000"));
      assertThat(p.cause()).hasMessage("SOCKS5 CONNECT(1) refused: " + expected[status]);
      assertThat(c.isOpen()).isFalse();
      assertThatCode(c::checkException).doesNotThrowAnyException();
      c.finishAndReleaseAll();
    }
  }

  @Test
  void aReplyOfTheWrongVersionIsMalformed() {
    start(DOMAIN);
    receive("0400");
    assertThat(failure()).isEqualTo("malformed SOCKS5 reply");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void aCommandReplyWithAnUnknownAddressTypeIsMalformed() {
    start(DOMAIN);
    receive("0500");
    sent();
    receive("05000009" + "00000000" + "0000");
    assertThat(failure()).isEqualTo("malformed SOCKS5 reply");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void repliesSplitIntoSingleBytesAreReassembled() {
    start(DOMAIN);
    for (byte b : bytes("0500")) {
      receive(HexFormat.of().toHexDigits(b));
    }
    sent();
    for (byte b : bytes("05000004" + "20010db8000000000000000000000003" + "0050")) {
      assertThat(reply.isDone()).isFalse();
      receive(HexFormat.of().toHexDigits(b));
    }
    assertThat(reply.isSuccess()).isTrue();
    receive("6869");
    ByteBuf tail = ch.readInbound();
    assertThat(ByteBufUtil.hexDump(tail)).isEqualTo("6869");
    tail.release();
  }

  @Test
  void aReplyCutShortByTheServerClosingFails() {
    start(DOMAIN);
    receive("0500");
    sent();
    receive("0500000120010d");
    assertThat(reply.isDone()).isFalse();
    ch.close();
    assertThat(failure()).isEqualTo("SOCKS5 server closed the connection during the handshake");
  }

  @Test
  void udpHeaderFramesEachDatagramAndUnwrapsReplies() throws Exception {
    InetAddress relayAddress = InetAddress.getByName("198.51.100.2");
    var relay = new InetSocketAddress(relayAddress, 40000);
    EmbeddedChannel udp = channel(new Socks5DatagramCodec(relay));

    udp.writeOutbound(datagram(DOMAIN, "ping"));
    DatagramPacket out = udp.readOutbound();
    assertThat(out.recipient()).isEqualTo(relay);
    assertThat(ByteBufUtil.hexDump(out.content()))
        .isEqualTo("000000" + "03" + "0b" + ascii("example.org") + "01bb" + ascii("ping"));
    out.release();
    Destination v6 = new Destination(null, InetAddress.getByName("2001:db8::9"), 53);
    udp.writeOutbound(datagram(v6, "q"));
    out = udp.readOutbound();
    assertThat(ByteBufUtil.hexDump(out.content()))
        .isEqualTo("000000" + "04" + "20010db8000000000000000000000009" + "0035" + ascii("q"));
    out.release();

    ByteBuf replyBytes = in("000000" + "01" + "c6336409" + "0035" + "aabb");
    udp.writeInbound(new DatagramPacket(replyBytes, null, relay));
    AddressedDatagram in = udp.readInbound();
    assertThat(in.peer())
        .isEqualTo(new Destination(null, InetAddress.getByName("198.51.100.9"), 53));
    assertThat(ByteBufUtil.hexDump(in.content())).isEqualTo("aabb");
    in.release();
    assertThat(replyBytes.refCnt()).isZero();
    udp.finishAndReleaseAll();
  }

  private AddressedDatagram datagram(Destination d, String payload) {
    return new AddressedDatagram(
        d, alloc.buffer().writeBytes(payload.getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void udpRepliesFromElsewhereFragmentedOrMalformedAreDroppedAndReleased() throws Exception {
    var relay = new InetSocketAddress(InetAddress.getByName("198.51.100.2"), 40000);
    var stranger = new InetSocketAddress(InetAddress.getByName("198.51.100.3"), 40000);
    EmbeddedChannel udp = channel(new Socks5DatagramCodec(relay));
    String good = "000000" + "01" + "c6336409" + "0035" + "aa";
    String[][] cases = {
      {good, "stranger"},
      {"000001" + "01" + "c6336409" + "0035" + "aa", "relay"}, // FRAG 1
      {"000000" + "07" + "c6336409" + "0035" + "aa", "relay"}, // no such address type
      {"000000" + "01" + "c63364", "relay"}, // address cut short
      {"000000" + "01" + "c6336409" + "0000" + "aa", "relay"}, // port 0
      {"000000" + "03" + "00" + "0035", "relay"}, // empty name
      {"0000", "relay"} // not even a header
    };
    for (String[] c : cases) {
      ByteBuf bytes = in(c[0]);
      var from = c[1].equals("relay") ? relay : stranger;
      udp.writeInbound(new DatagramPacket(bytes, null, from));
      assertThat((Object) udp.readInbound()).as(c[0]).isNull();
      assertThat(bytes.refCnt()).as(c[0]).isZero();
    }
    assertThatCode(udp::checkException).doesNotThrowAnyException();
    udp.finishAndReleaseAll();
  }

  @Test
  void aDatagramToANameTooLongFailsThatWriteOnly() {
    var relay = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);
    EmbeddedChannel udp = channel(new Socks5DatagramCodec(relay));
    AddressedDatagram tooLong =
        datagram(new Destination("a".repeat(256) + ".example", null, 53), "x");
    var write = udp.writeOneOutbound(tooLong);
    udp.flushOutbound();
    assertThat(write.cause()).hasRootCauseInstanceOf(IllegalArgumentException.class);
    assertThat(tooLong.refCnt()).isZero();
    assertThat(udp.isOpen()).isTrue();
    udp.finishAndReleaseAll();
  }

  @Test
  void theRelayIsTheServerWhenTheReplyNamesTheWildcard() throws Exception {
    InetAddress server = InetAddress.getByName("198.51.100.2");
    var wildcard =
        new DefaultSocks5CommandResponse(
            Socks5CommandStatus.SUCCESS, Socks5AddressType.IPv4, "0.0.0.0", 5000);
    assertThat(Socks5DatagramCodec.relay(wildcard, server))
        .isEqualTo(new InetSocketAddress(server, 5000));
    var named =
        new DefaultSocks5CommandResponse(
            Socks5CommandStatus.SUCCESS, Socks5AddressType.IPv4, "198.51.100.4", 5001);
    assertThat(Socks5DatagramCodec.relay(named, server))
        .isEqualTo(new InetSocketAddress(InetAddress.getByName("198.51.100.4"), 5001));
  }
}
