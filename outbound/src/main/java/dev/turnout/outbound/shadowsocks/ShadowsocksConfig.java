package dev.turnout.outbound.shadowsocks;

import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyType;
import dev.turnout.outbound.Transport;
import java.util.List;
import java.util.Set;

/**
 * Clash {@code type: ss}: an AEAD cipher, a password and optionally a plugin (obfs, v2ray-plugin);
 * UDP over TCP and the 2022 ciphers are refused.
 */
public final class ShadowsocksConfig implements ProxyType {
  /** The accepted {@code cipher:} values. */
  public static final List<String> CIPHERS = SsCipher.NAMES;

  /**
   * Stream ciphers of the original protocol, which mihomo still accepts: Turnout does not (they
   * have no integrity), so such a proxy is an unavailable member, not an error in the file.
   */
  static final java.util.Set<String> STREAM_CIPHERS =
      java.util.Set.of(
          "rc4-md5",
          "rc4",
          "aes-128-cfb",
          "aes-192-cfb",
          "aes-256-cfb",
          "aes-128-ctr",
          "aes-192-ctr",
          "aes-256-ctr",
          "chacha20",
          "chacha20-ietf",
          "salsa20",
          "bf-cfb",
          "camellia-128-cfb",
          "camellia-192-cfb",
          "camellia-256-cfb",
          "xchacha20",
          "none",
          "plain",
          "dummy");

  /** The cipher, or null: 2022 and stream ciphers make the proxy unavailable, with the reason. */
  private static String cipher(Fields f) {
    String name = f.string("cipher", false);
    if (name != null && name.startsWith("2022-blake3-")) {
      f.unsupported(
          "cipher",
          "Shadowsocks 2022 ciphers are not supported: no server that speaks them (shadowsocks-rust)"
              + " is available to test against here");
      return null;
    }
    if (name != null && STREAM_CIPHERS.contains(name)) {
      f.unsupported("cipher", "stream cipher " + name + " is not supported (no integrity)");
      return null;
    }
    return f.oneOf("cipher", CIPHERS, null);
  }

  @Override
  public String name() {
    return "ss";
  }

  @Override
  public Set<String> keys() {
    return Set.of("cipher", "password", "udp-over-tcp", "plugin", "plugin-opts");
  }

  @Override
  public Outbound read(Fields f, Common common, Dialer dialer) {
    if (f.bool("udp-over-tcp", false)) {
      f.unsupported("udp-over-tcp", "UDP over TCP is not supported");
    }
    String cipherName = cipher(f);
    String password = f.string("password", true);
    Transport transport =
        common.server() == null ? null : PluginConfig.read(f, common.server(), common.port());
    if (cipherName == null || password == null || transport == null) {
      return null;
    }
    return new ShadowsocksOutbound(
        common.name(),
        common.server(),
        common.port(),
        SsCipher.byName(cipherName),
        password,
        common.udp(),
        transport,
        dialer);
  }
}
