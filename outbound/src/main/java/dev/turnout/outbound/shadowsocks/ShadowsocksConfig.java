package dev.turnout.outbound.shadowsocks;

import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyType;
import java.util.List;
import java.util.Set;

/** Clash {@code type: ss}: an AEAD cipher and a password; plugins and UDP over TCP are refused. */
public final class ShadowsocksConfig implements ProxyType {
  /** The accepted {@code cipher:} values. */
  public static final List<String> CIPHERS = SsCipher.NAMES;

  @Override
  public String name() {
    return "ss";
  }

  @Override
  public Set<String> keys() {
    return Set.of("cipher", "password", "udp-over-tcp");
  }

  @Override
  public Outbound read(Fields f, Common common, Dialer dialer) {
    if (f.bool("udp-over-tcp", false)) {
      f.unsupported("udp-over-tcp", "UDP over TCP is not supported");
    }
    String cipherName = f.oneOf("cipher", CIPHERS, null);
    String password = f.string("password", true);
    if (cipherName == null || password == null) {
      return null;
    }
    return new ShadowsocksOutbound(
        common.name(),
        common.server(),
        common.port(),
        SsCipher.byName(cipherName),
        password,
        common.udp(),
        dialer);
  }
}
