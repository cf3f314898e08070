package dev.turnout.outbound.http;

import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyType;
import dev.turnout.outbound.Transport;
import dev.turnout.outbound.transport.TransportConfig;
import java.util.List;
import java.util.Set;

/** Clash {@code type: http}: optional basic authentication, optionally over TLS. */
public final class HttpConfig implements ProxyType {
  private static final Set<String> KEYS = TransportConfig.keysWith("username", "password");

  @Override
  public String name() {
    return "http";
  }

  @Override
  public Set<String> keys() {
    return KEYS;
  }

  @Override
  public Outbound read(Fields f, Common common, Dialer dialer) {
    if (common.udp()) {
      f.warn("udp", "an HTTP proxy cannot carry UDP; ignored");
    }
    String user = f.string("username", false);
    String pass = f.string("password", false);
    Transport transport = TransportConfig.read(f, common, false, List.of("tcp"));
    if (transport == null) {
      return null;
    }
    return new HttpOutbound(
        common.name(),
        common.server(),
        common.port(),
        user,
        pass == null ? "" : pass,
        transport,
        dialer);
  }
}
