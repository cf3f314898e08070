package dev.turnout.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.outbound.Destination;
import dev.turnout.relay.Inbound;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The flow table every UDP listener keeps: bounded, the least recently used making room, idle flows
 * swept, all ended at the end; each flow ended once, out of the table.
 */
class FlowTableTest {
  private final FakeDispatch dispatch =
      new FakeDispatch(FakeDispatch.listener(ListenerSpec.Kind.SOCKS, Authentication.NONE));
  private final List<Integer> ended = new ArrayList<>();
  private final List<UdpFlow> flows = new ArrayList<>();
  private final FlowTable<Integer, UdpFlow> table =
      new FlowTable<>(2, f -> f, f -> ended.add(flows.indexOf(f)));

  private UdpFlow flow(int port, long now) throws Exception {
    Destination to = new Destination(null, InetAddress.getByName("203.0.113.10"), port);
    UdpFlow f =
        new UdpFlow(
            to,
            dispatch.origin(
                true,
                new InetSocketAddress("127.0.0.1", 40000),
                to,
                new Inbound("Socks5", "in", 1080, null)),
            now);
    flows.add(f);
    table.put(flows.size() - 1, f);
    return f;
  }

  @Test
  void theLeastRecentlyUsedMakesRoomAndIdleOnesAreSwept() throws Exception {
    assertThat(table.makeRoom()).isFalse();
    flow(1, 0);
    flow(2, 0);
    assertThat(table.get(0)).isSameAs(flows.get(0)); // 0 is now the most recently used
    assertThat(table.makeRoom()).isTrue();
    assertThat(ended).containsExactly(1);
    assertThat(table.get(1)).isNull();
    flow(3, 5_000);
    table.sweep(6_000, 2_000); // 0 idle since 0, 2 active at 5,000
    assertThat(ended).containsExactly(1, 0);
    table.remove(2, flows.get(2));
    table.remove(2, flows.get(2)); // gone already: ended again is the owner's to tolerate
    assertThat(table.get(2)).isNull();
    table.endAll();
    assertThat(ended).containsExactly(1, 0, 2, 2);
  }
}
