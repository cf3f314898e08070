package dev.turnout.inbound.shadowsocks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.inbound.ClientChannel;
import dev.turnout.inbound.FakeDispatch;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.outbound.shadowsocks.SsServerCodec;
import org.junit.jupiter.api.Test;

/**
 * The request behind the Shadowsocks codec (here fed as plaintext): the target address, then the
 * client's first bytes, which reach the relay; a malformed address closes the client, counted.
 */
class ShadowsocksHandlerTest {
  private final FakeDispatch dispatch =
      new FakeDispatch(
          ListenerSpec.shadowsocks(
              "ss-in",
              ClientChannel.LISTENER,
              SsServerCodec.of("aes-256-gcm", "secret"),
              null,
              false));

  @Test
  void anAddressSplitAcrossReadsThenTheFirstBytesGoToTheRelay() {
    ClientChannel client = new ClientChannel();
    client.pipeline().addLast(new ShadowsocksHandler(dispatch));
    client.clientSendsHex("03 10 7777772e6578616d706c65"); // www.example.test, cut short
    assertThat(dispatch.relayed).isEmpty();
    client.clientSendsHex("2e74657374 0050");
    client.clientSends("GET / HTTP/1.1\r\n");
    assertThat(dispatch.relayed).hasSize(1);
    FakeDispatch.Relayed relayed = dispatch.last();
    assertThat(relayed.origin().host()).isEqualTo("www.example.test");
    assertThat(relayed.origin().port()).isEqualTo(80);
    assertThat(relayed.origin().inbound().type()).isEqualTo("Shadowsocks");
    assertThat(relayed.origin().inbound().name()).isEqualTo("ss-in");
    assertThat(relayed.caught().text()).isEqualTo("GET / HTTP/1.1\r\n");
    assertThat(client.pipeline().get(ShadowsocksHandler.class)).as("it left").isNull();
  }

  @Test
  void anUnknownAddressTypeClosesTheClient() {
    ClientChannel client = new ClientChannel();
    client.pipeline().addLast(new ShadowsocksHandler(dispatch));
    client.clientSendsHex("09 01020304 0050");
    assertThat(client.isOpen()).isFalse();
    assertThat(dispatch.relayed).isEmpty();
    assertThat(dispatch.stats().count(InboundStats.Event.MALFORMED)).isEqualTo(1);
  }
}
