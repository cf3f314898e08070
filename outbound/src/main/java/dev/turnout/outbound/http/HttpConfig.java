package dev.turnout.outbound.http;

import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyType;
import dev.turnout.outbound.tls.Tls;
import java.util.Set;

/** Clash {@code type: http}: optional basic authentication and TLS to the proxy. */
public final class HttpConfig implements ProxyType {
  @Override
  public String name() {
    return "http";
  }

  @Override
  public Set<String> keys() {
    return Set.of("username", "password", "tls", "skip-cert-verify", "sni");
  }

  @Override
  public Outbound read(Fields f, Common common, Dialer dialer) {
    if (common.udp()) {
      f.warn("udp", "an HTTP proxy cannot carry UDP; ignored");
    }
    boolean tls = f.bool("tls", false);
    String sni = f.string("sni", false);
    boolean skip = f.bool("skip-cert-verify", false);
    String user = f.string("username", false);
    String pass = f.string("password", false);
    String server = common.server();
    return new HttpOutbound(
        common.name(),
        server,
        common.port(),
        user,
        pass == null ? "" : pass,
        tls && server != null ? new Tls(sni != null ? sni : server, skip) : null,
        dialer);
  }
}
