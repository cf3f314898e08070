package dev.turnout.launcher.udp;

import dev.turnout.launcher.FlowOrigins;
import dev.turnout.launcher.relay.Origin;
import dev.turnout.natrewrite.NatFlow;
import dev.turnout.natrewrite.NatTable;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * {@link UdpOrigins} from the NAT table and the fake-IP pool: a fake destination becomes its name,
 * any other destination (capture-all mode) stays a real address.
 */
public final class UdpNatOrigins implements UdpOrigins {
  private final NatTable nat;
  private final FlowOrigins origins;

  public UdpNatOrigins(NatTable nat, FlowOrigins origins) {
    this.nat = nat;
    this.origins = origins;
  }

  @Override
  public Optional<NatFlow> flow(InetSocketAddress sessionPeer) {
    return nat.udpFlow(sessionPeer);
  }

  @Override
  public Optional<Origin> origin(NatFlow flow) {
    // Not pinned: the UDP relay has no end-of-session hook yet; idle UDP sessions are short.
    return origins.of(flow, true, false);
  }
}
