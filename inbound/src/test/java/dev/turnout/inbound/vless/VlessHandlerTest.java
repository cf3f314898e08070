package dev.turnout.inbound.vless;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.inbound.Authentication;
import dev.turnout.inbound.ClientChannel;
import dev.turnout.inbound.FakeDispatch;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.inbound.StreamUdp;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A VLESS client's request as v2ray and Xray send it: version, UUID, addons, command, port,
 * address, then the first bytes, which reach the relay with the user the UUID names after the
 * response header went out; a UDP request turns the stream into length-prefixed datagrams; another
 * UUID, Mux and malformed requests close the client, each counted.
 */
class VlessHandlerTest {
  private static final String UUID = "9d0cb9d0-964f-4ef6-897d-6c6b3ccf9e68";
  private static final String ID = UUID.replace("-", "");
  private final Authentication users = Authentication.of(Map.of("alice", UUID), List.of());

  // The handler reads only the listener's name and port: a mixed spec stands in.
  private final FakeDispatch dispatch =
      new FakeDispatch(FakeDispatch.listener(ListenerSpec.Kind.MIXED, users));

  private ClientChannel client() {
    ClientChannel client = new ClientChannel();
    client.pipeline().addLast(new VlessHandler(dispatch, VlessHandler.users(users)));
    return client;
  }

  @Test
  void usersAreKnownByTheirUuid() {
    assertThat(VlessHandler.users(users)).containsExactly(Map.entry(ID, "alice"));
  }

  @Test
  void aRequestSplitAcrossReadsThenTheFirstBytesGoToTheRelay() {
    ClientChannel client = client();
    client.clientSendsHex("00" + ID.substring(0, 10));
    client.clientSendsHex(ID.substring(10) + "00 01 0050 02 10 7777772e6578616d706c65"); // cut
    assertThat(dispatch.relayed).isEmpty();
    client.clientSendsHex("2e74657374");
    client.clientSends("GET / HTTP/1.1\r\n");
    assertThat(client.sentHex()).isEqualTo("0000"); // the response header: version, no addons
    assertThat(dispatch.relayed).hasSize(1);
    FakeDispatch.Relayed relayed = dispatch.last();
    assertThat(relayed.origin().host()).isEqualTo("www.example.test");
    assertThat(relayed.origin().port()).isEqualTo(80);
    assertThat(relayed.origin().inbound().type()).isEqualTo("Vless");
    assertThat(relayed.origin().inbound().user()).isEqualTo("alice");
    assertThat(relayed.caught().text()).isEqualTo("GET / HTTP/1.1\r\n");
    assertThat(client.pipeline().get(VlessHandler.class)).as("it left").isNull();
  }

  @Test
  void addressesOfEveryTypeAndAddonsAreRead() {
    ClientChannel v4 = client();
    v4.clientSendsHex("00" + ID + "03 0a0b0c 01 01bb 01 cb00710a"); // 3 bytes of addons skipped
    assertThat(dispatch.last().origin().realAddress().getHostAddress()).isEqualTo("203.0.113.10");
    assertThat(dispatch.last().origin().port()).isEqualTo(443);
    ClientChannel v6 = client();
    v6.clientSendsHex("00" + ID + "00 01 0050 03 20010db8000000000000000000000010");
    assertThat(dispatch.last().origin().realAddress().getHostAddress())
        .isEqualTo("2001:db8:0:0:0:0:0:10");
  }

  @Test
  void anotherUuidOrVersionIsRefused() {
    ClientChannel other = client();
    other.clientSendsHex("00" + "0".repeat(32) + "00 01 0050 01 cb00710a");
    assertThat(other.isOpen()).isFalse();
    ClientChannel version = client();
    version.clientSendsHex("01" + ID + "00 01 0050 01 cb00710a");
    assertThat(version.isOpen()).isFalse();
    assertThat(dispatch.stats().count(InboundStats.Event.AUTH_FAILED)).isEqualTo(2);
    ClientChannel web = client();
    web.clientSends("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
    assertThat(web.isOpen()).as("a web client").isFalse();
    assertThat(dispatch.relayed).isEmpty();
  }

  @Test
  void udpTurnsTheStreamIntoLengthPrefixedDatagrams() {
    ClientChannel udp = client();
    udp.clientSendsHex("00" + ID + "00 02 0035 01 c6336435");
    assertThat(udp.isOpen()).isTrue();
    assertThat(udp.sentHex()).isEqualTo("0000");
    assertThat(udp.pipeline().get(VlessHandler.class)).as("it left").isNull();
    assertThat(udp.pipeline().get(StreamUdp.class)).isNotNull();
    assertThat(dispatch.stats().count(InboundStats.Event.UDP_ASSOCIATED)).isEqualTo(1);
  }

  @Test
  void muxAndMalformedRequestsAreRefused() {
    ClientChannel mux = client();
    mux.clientSendsHex("00" + ID + "00 03");
    mux.clientSendsHex("0000 01 00000000");
    assertThat(mux.isOpen()).isFalse();
    assertThat(dispatch.stats().count(InboundStats.Event.UNSUPPORTED)).isEqualTo(1);
    ClientChannel badType = client();
    badType.clientSendsHex("00" + ID + "00 01 0050 07 cb00710a");
    assertThat(badType.isOpen()).isFalse();
    ClientChannel badName = client();
    badName.clientSendsHex("00" + ID + "00 01 0050 02 03 61 20 62"); // "a b"
    assertThat(badName.isOpen()).isFalse();
    assertThat(dispatch.stats().count(InboundStats.Event.MALFORMED)).isEqualTo(2);
    assertThat(dispatch.relayed).isEmpty();
  }
}
