package dev.turnout.outbound.socks;

import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyType;
import dev.turnout.outbound.Transport;
import dev.turnout.outbound.transport.TransportConfig;
import java.util.List;
import java.util.Set;

/** Clash {@code type: socks5}: optional username and password, optionally over TLS. */
public final class Socks5Config implements ProxyType {
  private static final Set<String> KEYS = TransportConfig.keysWith("username", "password");

  @Override
  public String name() {
    return "socks5";
  }

  @Override
  public Set<String> keys() {
    return KEYS;
  }

  @Override
  public Outbound read(Fields f, Common common, Dialer dialer) {
    String user = f.string("username", false);
    String pass = f.string("password", false);
    if (user != null && user.length() > 255 || pass != null && pass.length() > 255) {
      f.error(user != null && user.length() > 255 ? "username" : "password", "longer than 255");
    }
    Transport transport = TransportConfig.read(f, common, false, List.of("tcp"));
    if (transport == null) {
      return null;
    }
    return new Socks5Outbound(
        common.name(),
        common.server(),
        common.port(),
        user,
        pass == null ? "" : pass,
        common.udp(),
        transport,
        dialer);
  }
}
