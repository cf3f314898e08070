package dev.turnout.inbound.mixed;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.inbound.Authentication;
import dev.turnout.inbound.ClientChannel;
import dev.turnout.inbound.FakeDispatch;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.ListenerSpec;
import org.junit.jupiter.api.Test;

/** One port, three protocols, told apart by the first byte. */
class FirstByteTest {
  private final FakeDispatch dispatch =
      new FakeDispatch(FakeDispatch.listener(ListenerSpec.Kind.MIXED, Authentication.NONE));

  private ClientChannel client(boolean http) {
    ClientChannel client = new ClientChannel();
    client.pipeline().addLast(new FirstByte(dispatch, null, http));
    return client;
  }

  @Test
  void socks5() {
    ClientChannel client = client(true);
    client.clientSendsHex("05 01 00");
    assertThat(client.sentHex()).isEqualTo("0500");
    assertThat(client.pipeline().get(FirstByte.class)).isNull();
  }

  @Test
  void socks4() {
    ClientChannel client = client(true);
    client.clientSendsHex("04 01 0050 cb00710a 00");
    assertThat(dispatch.last().origin().inbound().type()).isEqualTo("Socks4");
  }

  @Test
  void httpSplitAcrossSegmentsEvenAfterOneByte() {
    ClientChannel client = client(true);
    client.clientSends("C");
    client.clientSends("ONNECT example.test:443 HTTP/1.1\r\n");
    client.clientSends("Host: example.test:443\r\n\r\n");
    assertThat(dispatch.last().origin().host()).isEqualTo("example.test");
    assertThat(dispatch.last().origin().inbound().type()).isEqualTo("HTTPS");
    assertThat(dispatch.last().origin().inbound().name()).isEqualTo("DEFAULT-MIXED");
  }

  @Test
  void aSocksPortRefusesHttp() {
    ClientChannel client = client(false);
    client.clientSends("GET http://example.test/ HTTP/1.1\r\n\r\n");
    assertThat(client.isOpen()).isFalse();
    assertThat(client.sentHex()).isEmpty();
    assertThat(dispatch.stats().count(InboundStats.Event.MALFORMED)).isEqualTo(1);
  }
}
