package dev.turnout.inbound.trojan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.inbound.Authentication;
import dev.turnout.inbound.ClientChannel;
import dev.turnout.inbound.FakeDispatch;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.ListenerSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A Trojan client's request (here after TLS): the password's hash, the command and target, then the
 * first bytes, which reach the relay with the user the password names; UDP ASSOCIATE turns the
 * stream into datagrams; another password, a malformed request and an unknown command close the
 * client, each counted.
 */
class TrojanHandlerTest {
  private final Authentication users = Authentication.of(Map.of("alice", "tj-pass"), List.of());

  // The handler reads only the listener's name and port: a mixed spec stands in for a trojan
  // one, which would need a certificate.
  private final FakeDispatch dispatch =
      new FakeDispatch(FakeDispatch.listener(ListenerSpec.Kind.MIXED, users));

  private ClientChannel client() {
    ClientChannel client = new ClientChannel();
    client.pipeline().addLast(new TrojanHandler(dispatch, TrojanHandler.users(users)));
    return client;
  }

  @Test
  void theHashIsSha224OfThePassword() {
    assertThat(TrojanHandler.users(users)).containsExactly(Map.entry(hash(), "alice"));
  }

  /** hex(SHA-224("tj-pass")), as trojan-gfw's client sends it. */
  private static String hash() {
    return java.util.HexFormat.of()
        .formatHex(sha224("tj-pass".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  private static byte[] sha224(byte[] b) {
    try {
      return java.security.MessageDigest.getInstance("SHA-224").digest(b);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aRequestSplitAcrossReadsThenTheFirstBytesGoToTheRelay() {
    ClientChannel client = client();
    client.clientSends(hash().substring(0, 30));
    client.clientSends(hash().substring(30) + "\r\n");
    client.clientSendsHex("01 03 10 7777772e6578616d706c65"); // CONNECT www.example.test, cut
    assertThat(dispatch.relayed).isEmpty();
    client.clientSendsHex("2e74657374 0050 0d0a");
    client.clientSends("GET / HTTP/1.1\r\n");
    assertThat(dispatch.relayed).hasSize(1);
    FakeDispatch.Relayed relayed = dispatch.last();
    assertThat(relayed.origin().host()).isEqualTo("www.example.test");
    assertThat(relayed.origin().port()).isEqualTo(80);
    assertThat(relayed.origin().inbound().type()).isEqualTo("Trojan");
    assertThat(relayed.origin().inbound().user()).isEqualTo("alice");
    assertThat(relayed.caught().text()).isEqualTo("GET / HTTP/1.1\r\n");
    assertThat(client.pipeline().get(TrojanHandler.class)).as("it left").isNull();
  }

  @Test
  void anotherPasswordIsRefused() {
    ClientChannel client = client();
    client.clientSends("0".repeat(56) + "\r\n");
    assertThat(client.isOpen()).isFalse();
    assertThat(dispatch.stats().count(InboundStats.Event.AUTH_FAILED)).isEqualTo(1);
    ClientChannel web = client();
    web.clientSends("GET / HTTP/1.1\r\nHost: example.test\r\nUser-Agent: a prober .......\r\n\r\n");
    assertThat(web.isOpen()).as("a web client").isFalse();
    assertThat(dispatch.relayed).isEmpty();
  }

  @Test
  void udpAssociateTurnsTheStreamIntoDatagrams() {
    ClientChannel udp = client();
    udp.clientSends(hash() + "\r\n");
    udp.clientSendsHex("03 01 00000000 0000 0d0a"); // as trojan-gfw sends it: 0.0.0.0 port 0
    assertThat(udp.isOpen()).isTrue();
    assertThat(udp.pipeline().get(TrojanHandler.class)).as("it left").isNull();
    assertThat(udp.pipeline().get(dev.turnout.inbound.StreamUdp.class)).isNotNull();
    assertThat(dispatch.stats().count(InboundStats.Event.UDP_ASSOCIATED)).isEqualTo(1);
  }

  @Test
  void unknownCommandsAndMalformedRequestsAreRefused() {
    ClientChannel other = client();
    other.clientSends(hash() + "\r\n");
    other.clientSendsHex("02 01 c6336401 0035 0d0a");
    assertThat(other.isOpen()).isFalse();
    assertThat(dispatch.stats().count(InboundStats.Event.UNSUPPORTED)).isEqualTo(1);
    ClientChannel bad = client();
    bad.clientSends(hash() + "\r\n");
    bad.clientSendsHex("01 01 c6336401 0050 0d0b");
    assertThat(bad.isOpen()).isFalse();
    assertThat(dispatch.stats().count(InboundStats.Event.MALFORMED)).isEqualTo(1);
    assertThat(dispatch.relayed).isEmpty();
  }
}
