package dev.turnout.outbound.socks;

import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyType;
import java.util.Set;

/** Clash {@code type: socks5}: optional username and password; SOCKS5 over TLS is refused. */
public final class Socks5Config implements ProxyType {
  @Override
  public String name() {
    return "socks5";
  }

  @Override
  public Set<String> keys() {
    return Set.of("username", "password", "tls", "skip-cert-verify");
  }

  @Override
  public Outbound read(Fields f, Common common, Dialer dialer) {
    if (f.bool("tls", false)) {
      f.unsupported("tls", "SOCKS5 over TLS is not supported");
    }
    String user = f.string("username", false);
    String pass = f.string("password", false);
    if (user != null && user.length() > 255 || pass != null && pass.length() > 255) {
      f.error(user != null && user.length() > 255 ? "username" : "password", "longer than 255");
    }
    return new Socks5Outbound(
        common.name(),
        common.server(),
        common.port(),
        user,
        pass == null ? "" : pass,
        common.udp(),
        dialer);
  }
}
