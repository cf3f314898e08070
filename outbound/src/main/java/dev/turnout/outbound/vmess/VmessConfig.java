package dev.turnout.outbound.vmess;

import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyType;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Clash {@code type: vmess}: a UUID, {@code alterId: 0} (AEAD only) and a cipher; no TLS. */
public final class VmessConfig implements ProxyType {
  static final List<String> CIPHERS = List.of("auto", "aes-128-gcm", "chacha20-poly1305");

  @Override
  public String name() {
    return "vmess";
  }

  @Override
  public Set<String> keys() {
    return Set.of("uuid", "alterId", "cipher", "network", "tls");
  }

  @Override
  public Outbound read(Fields f, Common common, Dialer dialer) {
    if (f.bool("tls", false)) {
      f.unsupported("tls", "VMess over TLS is not supported");
    }
    if (common.udp()) {
      f.warn("udp", "UDP over VMess is not supported; UDP through this proxy will fail");
    }
    String id = f.string("uuid", true);
    UUID uuid = null;
    if (id != null) {
      try {
        uuid = UUID.fromString(id);
      } catch (IllegalArgumentException e) {
        f.error("uuid", "expected a UUID like 3f9e2d1c-..., got \"" + id + "\"");
      }
    }
    if (f.integer("alterId", 0, 0, 65535) != 0) {
      f.error("alterId", "expected 0 (only VMess AEAD is supported)");
    }
    String cipher = f.oneOf("cipher", CIPHERS, "auto");
    if (uuid == null) {
      return null;
    }
    return new VmessOutbound(
        common.name(),
        common.server(),
        common.port(),
        uuid,
        VmessOutbound.security(cipher),
        dialer);
  }
}
