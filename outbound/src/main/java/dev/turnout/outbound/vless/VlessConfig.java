package dev.turnout.outbound.vless;

import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyType;
import dev.turnout.outbound.Transport;
import dev.turnout.outbound.transport.TransportConfig;
import java.util.Set;
import java.util.UUID;

/**
 * Clash {@code type: vless}: a UUID over any transport. {@code flow} values (XTLS Vision and its
 * predecessors) are refused: they change the bytes on the wire in ways Turnout does not implement.
 */
public final class VlessConfig implements ProxyType {
  private static final Set<String> KEYS =
      TransportConfig.keysWith("uuid", "flow", "encryption", "packet-encoding", "xudp");

  @Override
  public String name() {
    return "vless";
  }

  @Override
  public Set<String> keys() {
    return KEYS;
  }

  @Override
  public Outbound read(Fields f, Common common, Dialer dialer) {
    UUID uuid = uuid(f);
    String flow = f.string("flow", false);
    if (flow != null && !flow.isEmpty()) {
      f.unsupported(
          "flow",
          "flow \""
              + flow
              + "\" is not supported: XTLS Vision pads and splices the inner TLS, which Turnout"
              + " does not implement; use the proxy without flow if the server allows it");
    }
    String encryption = f.string("encryption", false);
    if (encryption != null && !encryption.isEmpty() && !"none".equals(encryption)) {
      f.error("encryption", "expected none (VLESS has no other), got \"" + encryption + "\"");
    }
    f.string("packet-encoding", false);
    f.bool("xudp", false);
    Transport transport = TransportConfig.read(f, common, false, TransportConfig.NETWORKS);
    if (uuid == null || transport == null) {
      return null;
    }
    return new VlessOutbound(
        common.name(), common.server(), common.port(), uuid, common.udp(), transport, dialer);
  }

  /** The {@code uuid} key as a UUID, or null with an error recorded. */
  static UUID uuid(Fields f) {
    String id = f.string("uuid", true);
    if (id == null) {
      return null;
    }
    try {
      return UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      f.error("uuid", "expected a UUID like 3f9e2d1c-..., got \"" + id + "\"");
      return null;
    }
  }
}
