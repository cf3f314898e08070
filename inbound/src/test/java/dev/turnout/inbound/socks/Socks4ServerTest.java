package dev.turnout.inbound.socks;

import static dev.turnout.inbound.socks.Socks5ServerTest.hex;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.inbound.Authentication;
import dev.turnout.inbound.ClientChannel;
import dev.turnout.inbound.FakeDispatch;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.ListenerSpec;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SOCKS4 and SOCKS4a CONNECT byte by byte. */
class Socks4ServerTest {
  private final ClientChannel client = new ClientChannel();

  private FakeDispatch start(Authentication authentication) {
    FakeDispatch dispatch =
        new FakeDispatch(FakeDispatch.listener(ListenerSpec.Kind.SOCKS, authentication));
    Socks4Server.install(client.pipeline(), dispatch);
    return dispatch;
  }

  @Test
  void socks4ConnectToAnAddress() {
    FakeDispatch dispatch = start(Authentication.NONE);
    // VN 4, CONNECT, port 80, 203.0.113.10, user id "u", then early bytes
    client.clientSendsHex("04 01 0050 cb00710a 75 00" + hex("GET"));
    assertThat(dispatch.last().origin().realAddress().getHostAddress()).isEqualTo("203.0.113.10");
    assertThat(dispatch.last().origin().inbound().type()).isEqualTo("Socks4");
    assertThat(dispatch.last().caught().text()).isEqualTo("GET");
    assertThat(dispatch.last().reply().connected(client, new EmbeddedChannel()).isSuccess())
        .isTrue();
    assertThat(client.sentHex()).isEqualTo("005a000000000000");
    assertThat(client.pipeline().get(Socks4Server.ENCODER)).isNull();
  }

  @Test
  void socks4aCarriesTheName() {
    FakeDispatch dispatch = start(Authentication.NONE);
    client.clientSendsHex("04 01 01bb 00000001 00" + hex("example.test") + "00");
    assertThat(dispatch.last().origin().host()).isEqualTo("example.test");
    assertThat(dispatch.last().origin().port()).isEqualTo(443);
  }

  @Test
  void aListenerWithPasswordsRefusesSocks4() {
    FakeDispatch dispatch = start(Authentication.of(Map.of("alice", "secret"), List.of()));
    client.clientSendsHex("04 01 0050 cb00710a 00");
    assertThat(client.sentHex()).isEqualTo("005b000000000000");
    assertThat(client.isOpen()).isFalse();
    assertThat(dispatch.relayed).isEmpty();
    assertThat(dispatch.stats().count(InboundStats.Event.AUTH_FAILED)).isEqualTo(1);
  }

  @Test
  void bindIsRefused() {
    FakeDispatch dispatch = start(Authentication.NONE);
    client.clientSendsHex("04 02 0050 cb00710a 00");
    assertThat(client.sentHex()).isEqualTo("005b000000000000");
    assertThat(dispatch.stats().count(InboundStats.Event.UNSUPPORTED)).isEqualTo(1);
  }

  @Test
  void aFailedOutboundIsRefused() {
    FakeDispatch dispatch = start(Authentication.NONE);
    client.clientSendsHex("04 01 0050 cb00710a 00");
    dispatch.last().reply().failed(client, new java.io.IOException("unreachable"));
    assertThat(client.sentHex()).isEqualTo("005b000000000000");
    assertThat(client.isOpen()).isFalse();
  }
}
