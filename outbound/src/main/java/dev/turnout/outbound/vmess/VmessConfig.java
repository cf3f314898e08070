package dev.turnout.outbound.vmess;

import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyType;
import dev.turnout.outbound.Transport;
import dev.turnout.outbound.transport.TransportConfig;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Clash {@code type: vmess}: a UUID, {@code alterId}, a cipher, and any transport. */
public final class VmessConfig implements ProxyType {
  static final List<String> CIPHERS =
      List.of("auto", "aes-128-gcm", "chacha20-poly1305", "none", "zero");

  @Override
  public String name() {
    return "vmess";
  }

  private static final Set<String> KEYS =
      TransportConfig.keysWith(
          "uuid",
          "alterId",
          "cipher",
          "global-padding",
          "authenticated-length",
          "packet-encoding",
          "packet-addr",
          "xudp");

  @Override
  public Set<String> keys() {
    return KEYS;
  }

  @Override
  public Outbound read(Fields f, Common common, Dialer dialer) {
    String id = f.string("uuid", true);
    UUID uuid = null;
    if (id != null) {
      try {
        uuid = UUID.fromString(id);
      } catch (IllegalArgumentException e) {
        f.error("uuid", "expected a UUID like 3f9e2d1c-..., got \"" + id + "\"");
      }
    }
    boolean legacy = f.integer("alterId", 0, 0, 65535) > 0;
    String cipher = f.oneOf("cipher", CIPHERS, "auto");
    int options = "zero".equals(cipher) ? 0 : VmessSession.OPTION_CHUNK_STREAM;
    if (f.bool("global-padding", false) && options != 0) {
      options |= VmessSession.OPTION_CHUNK_MASKING | VmessSession.OPTION_GLOBAL_PADDING;
    }
    if (f.bool("authenticated-length", false)) {
      f.unsupported("authenticated-length", "authenticated chunk lengths are not supported");
    }
    f.string("packet-encoding", false);
    f.bool("packet-addr", false);
    f.bool("xudp", false);
    Transport transport = TransportConfig.read(f, common, false, TransportConfig.NETWORKS);
    if (uuid == null || transport == null) {
      return null;
    }
    return new VmessOutbound(
        common.name(),
        common.server(),
        common.port(),
        new VmessOutbound.Settings(uuid, VmessOutbound.security(cipher), options, legacy),
        common.udp(),
        transport,
        dialer);
  }
}
