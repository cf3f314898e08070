package dev.turnout.outbound.trojan;

import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyType;
import dev.turnout.outbound.Transport;
import dev.turnout.outbound.transport.TransportConfig;
import java.util.List;
import java.util.Set;

/**
 * Clash {@code type: trojan}: a password, always TLS (with the shared TLS keys), over TCP, a
 * WebSocket or gRPC; UDP when {@code udp: true}.
 */
public final class TrojanConfig implements ProxyType {
  private static final Set<String> KEYS = TransportConfig.keysWith("password");

  @Override
  public String name() {
    return "trojan";
  }

  @Override
  public Set<String> keys() {
    return KEYS;
  }

  @Override
  public Outbound read(Fields f, Common common, Dialer dialer) {
    String password = f.string("password", true);
    Transport transport = TransportConfig.read(f, common, true, List.of("tcp", "ws", "grpc"));
    if (password == null || transport == null) {
      return null;
    }
    return new TrojanOutbound(
        common.name(), common.server(), common.port(), password, common.udp(), transport, dialer);
  }
}
