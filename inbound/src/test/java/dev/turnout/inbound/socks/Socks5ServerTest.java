package dev.turnout.inbound.socks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.inbound.Authentication;
import dev.turnout.inbound.ClientChannel;
import dev.turnout.inbound.FakeDispatch;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.netbase.Cidr;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.relay.Origin;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The SOCKS5 server handshake byte by byte, over Netty's codec, without sockets. */
class Socks5ServerTest {
  private static final Authentication USERS =
      Authentication.of(Map.of("alice", "secret"), List.of());

  private final ClientChannel client = new ClientChannel();

  private FakeDispatch start(Authentication authentication) {
    FakeDispatch dispatch =
        new FakeDispatch(FakeDispatch.listener(ListenerSpec.Kind.SOCKS, authentication));
    Socks5Server.install(client.pipeline(), dispatch, null);
    return dispatch;
  }

  @Test
  void connectByNameIsHandedToTheRelayAndAnsweredWhenTheOutboundConnects() {
    FakeDispatch dispatch = start(Authentication.NONE);
    client.clientSendsHex("05 01 00");
    assertThat(client.sentHex()).isEqualTo("0500");
    // CONNECT example.test:80 (ATYP 3, a name)
    client.clientSendsHex("05 01 00 03 0c" + hex("example.test") + "0050");
    assertThat(client.sentHex()).as("no reply before the outbound connected").isEmpty();
    Origin origin = dispatch.last().origin();
    assertThat(origin.host()).isEqualTo("example.test");
    assertThat(origin.port()).isEqualTo(80);
    assertThat(origin.udp()).isFalse();
    assertThat(origin.source()).isEqualTo(ClientChannel.CLIENT);
    assertThat(origin.inbound().type()).isEqualTo("Socks5");
    assertThat(origin.inbound().name()).isEqualTo("DEFAULT-SOCKS");
    assertThat(origin.inbound().port()).isEqualTo(7890);
    assertThat(origin.inbound().user()).isNull();
    assertThat(client.pipeline().get(Socks5Server.DECODER)).isNull();
    assertThat(client.pipeline().get(Socks5Server.class)).isNull();

    assertThat(dispatch.last().reply().connected(client, new EmbeddedChannel()).isSuccess())
        .isTrue();
    assertThat(client.sentHex()).isEqualTo("05000001000000000000");
    assertThat(client.pipeline().get(Socks5Server.ENCODER))
        .as("no codec is left when bytes start to flow")
        .isNull();
  }

  @Test
  void bytesSentTogetherWithTheHandshakeReachTheRelayInOrder() {
    FakeDispatch dispatch = start(Authentication.NONE);
    // Greeting, CONNECT 203.0.113.10:443 and the first application bytes in one segment.
    client.clientSendsHex("05 01 00" + "05 01 00 01 cb00710a 01bb" + hex("hello"));
    assertThat(dispatch.relayed).hasSize(1);
    assertThat(dispatch.last().origin().realAddress().getHostAddress()).isEqualTo("203.0.113.10");
    assertThat(dispatch.last().origin().host()).isNull();
    assertThat(dispatch.last().caught().text()).isEqualTo("hello");
    client.clientSends(" world");
    assertThat(dispatch.last().caught().text()).isEqualTo("hello world");
  }

  @Test
  void aNameThatIsALiteralIsTheAddress() {
    FakeDispatch dispatch = start(Authentication.NONE);
    client.clientSendsHex("05 01 00");
    client.clientSendsHex("05 01 00 03 0c" + hex("203.0.113.10") + "0050");
    assertThat(dispatch.last().origin().host()).isNull();
    assertThat(dispatch.last().origin().realAddress().getHostAddress()).isEqualTo("203.0.113.10");
  }

  @Test
  void ipv6Destination() {
    FakeDispatch dispatch = start(Authentication.NONE);
    client.clientSendsHex("05 01 00");
    client.clientSendsHex("05 01 00 04 20010db8000000000000000000000001 0050");
    assertThat(dispatch.last().origin().realAddress().getHostAddress())
        .isEqualTo("2001:db8:0:0:0:0:0:1");
  }

  @Test
  void passwordAuthenticationNamesTheUser() {
    FakeDispatch dispatch = start(USERS);
    client.clientSendsHex("05 02 00 02");
    assertThat(client.sentHex()).as("username/password chosen").isEqualTo("0502");
    client.clientSendsHex("01 05" + hex("alice") + "06" + hex("secret"));
    assertThat(client.sentHex()).isEqualTo("0100");
    client.clientSendsHex("05 01 00 03 0c" + hex("example.test") + "0050");
    assertThat(dispatch.last().origin().inbound().user()).isEqualTo("alice");
  }

  @Test
  void aWrongPasswordIsRefusedAndCounted() {
    FakeDispatch dispatch = start(USERS);
    client.clientSendsHex("05 01 02");
    assertThat(client.sentHex()).isEqualTo("0502");
    client.clientSendsHex("01 05" + hex("alice") + "05" + hex("wrong"));
    assertThat(client.sentHex()).as("any status but 0 is a failure (RFC 1929)").isEqualTo("01ff");
    assertThat(client.isOpen()).isFalse();
    assertThat(dispatch.relayed).isEmpty();
    assertThat(dispatch.stats().count(InboundStats.Event.AUTH_FAILED)).isEqualTo(1);
  }

  @Test
  void aClientThatOffersNoPasswordWhereOneIsNeededIsRefused() {
    FakeDispatch dispatch = start(USERS);
    client.clientSendsHex("05 01 00");
    assertThat(client.sentHex()).isEqualTo("05ff");
    assertThat(client.isOpen()).isFalse();
    assertThat(dispatch.stats().count(InboundStats.Event.AUTH_FAILED)).isEqualTo(1);
  }

  @Test
  void clientsInSkipAuthPrefixesNeedNoPassword() {
    FakeDispatch dispatch =
        start(
            Authentication.of(Map.of("alice", "secret"), List.of(Cidr.parseStrict("127.0.0.0/8"))));
    client.clientSendsHex("05 01 00");
    assertThat(client.sentHex()).isEqualTo("0500");
    client.clientSendsHex("05 01 00 03 0c" + hex("example.test") + "0050");
    assertThat(dispatch.relayed).hasSize(1);
  }

  @Test
  void aClientOfferingOnlyAPasswordWhereNoneIsNeededIsServedAnyway() {
    FakeDispatch dispatch = start(Authentication.NONE);
    client.clientSendsHex("05 01 02");
    assertThat(client.sentHex()).isEqualTo("0502");
    client.clientSendsHex("01 01" + hex("x") + "01" + hex("y"));
    assertThat(client.sentHex()).isEqualTo("0100");
    client.clientSendsHex("05 01 00 03 0c" + hex("example.test") + "0050");
    assertThat(dispatch.last().origin().inbound().user()).isNull();
  }

  @Test
  void bindAndUdpWithoutUdpAreRefusedWithCommandNotSupported() {
    FakeDispatch dispatch = start(Authentication.NONE);
    client.clientSendsHex("05 01 00");
    client.sentHex();
    client.clientSendsHex("05 02 00 01 00000000 0000");
    assertThat(client.sentHex()).isEqualTo("05070001000000000000");
    assertThat(client.isOpen()).isFalse();
    assertThat(dispatch.stats().count(InboundStats.Event.UNSUPPORTED)).isEqualTo(1);

    ClientChannel other = new ClientChannel();
    Socks5Server.install(other.pipeline(), dispatch, null);
    other.clientSendsHex("05 01 00");
    other.sentHex();
    other.clientSendsHex("05 03 00 01 00000000 0000");
    assertThat(other.sentHex()).isEqualTo("05070001000000000000");
  }

  @Test
  void aBadVersionIsMalformedAndClosesOnlyThisConnection() {
    FakeDispatch dispatch = start(Authentication.NONE);
    client.clientSendsHex("05 01 00");
    client.sentHex();
    client.clientSendsHex("04 01 00 01 cb00710a 0050");
    assertThat(client.isOpen()).isFalse();
    assertThat(dispatch.relayed).isEmpty();
    assertThat(dispatch.stats().count(InboundStats.Event.MALFORMED)).isEqualTo(1);
  }

  @Test
  void portZeroIsNotADestination() {
    FakeDispatch dispatch = start(Authentication.NONE);
    client.clientSendsHex("05 01 00");
    client.clientSendsHex("05 01 00 01 cb00710a 0000");
    assertThat(client.isOpen()).isFalse();
    assertThat(dispatch.relayed).isEmpty();
  }

  @Test
  void failuresAreAnsweredWithTheStatusThatSaysWhy() {
    assertThat(Socks5Reply.status(rejected()).byteValue()).isEqualTo((byte) 2);
    assertThat(
            Socks5Reply.status(new ConnectException("connect(..) failed: Connection refused"))
                .byteValue())
        .isEqualTo((byte) 5);
    assertThat(Socks5Reply.status(new java.net.UnknownHostException("x")).byteValue())
        .isEqualTo((byte) 4);
    assertThat(Socks5Reply.status(new java.io.IOException("x")).byteValue()).isEqualTo((byte) 1);

    FakeDispatch dispatch = start(Authentication.NONE);
    client.clientSendsHex("05 01 00");
    client.sentHex();
    client.clientSendsHex("05 01 00 03 0c" + hex("example.test") + "0050");
    dispatch.last().reply().failed(client, rejected());
    assertThat(client.sentHex()).isEqualTo("05020001000000000000");
    assertThat(client.isOpen()).isFalse();
  }

  @Test
  void aFakeIpStandsForItsName() throws Exception {
    InetAddress fake = InetAddress.getByName("198.18.3.7");
    FakeDispatch dispatch =
        new FakeDispatch(
            FakeDispatch.listener(ListenerSpec.Kind.SOCKS, Authentication.NONE),
            new dev.turnout.inbound.FakeAddresses() {
              @Override
              public boolean isFake(InetAddress address) {
                return address.getHostAddress().startsWith("198.18.");
              }

              @Override
              public java.util.Optional<String> nameFor(InetAddress address) {
                return address.equals(fake)
                    ? java.util.Optional.of("www.example.test")
                    : java.util.Optional.empty();
              }
            });
    Socks5Server.install(client.pipeline(), dispatch, null);
    client.clientSendsHex("05 01 00");
    client.clientSendsHex("05 01 00 01 c6120307 0050");
    Origin origin = dispatch.last().origin();
    assertThat(origin.host()).isEqualTo("www.example.test");
    assertThat(origin.dialed()).isEqualTo(new InetSocketAddress(fake, 80));
    assertThat(origin.realAddress()).isNull();

    ClientChannel stale = new ClientChannel();
    Socks5Server.install(stale.pipeline(), dispatch, null);
    stale.clientSendsHex("05 01 00");
    stale.sentHex();
    stale.clientSendsHex("05 01 00 01 c6120308 0050");
    assertThat(stale.sentHex()).as("host unreachable").isEqualTo("05040001000000000000");
    assertThat(dispatch.stats().count(InboundStats.Event.UNKNOWN_FAKE_IP)).isEqualTo(1);
  }

  /** What REJECT fails a connect with. */
  static Throwable rejected() {
    return new RejectOutbound()
        .connect(
            new dev.turnout.outbound.Destination("example.test", null, 80),
            new EmbeddedChannel().eventLoop())
        .cause();
  }

  static String hex(String ascii) {
    return java.util.HexFormat.of()
        .formatHex(ascii.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }
}
