package dev.turnout.outbound.trojan;

import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyType;
import dev.turnout.outbound.tls.Tls;
import java.util.List;
import java.util.Set;

/** Clash {@code type: trojan}: a password, TLS settings and ALPN; UDP is not carried. */
public final class TrojanConfig implements ProxyType {
  @Override
  public String name() {
    return "trojan";
  }

  @Override
  public Set<String> keys() {
    return Set.of("password", "sni", "skip-cert-verify", "network", "alpn");
  }

  @Override
  public Outbound read(Fields f, Common common, Dialer dialer) {
    if (common.udp()) {
      f.warn("udp", "UDP over Trojan is not supported; UDP through this proxy will fail");
    }
    String password = f.string("password", true);
    String sni = f.string("sni", false);
    boolean skip = f.bool("skip-cert-verify", false);
    List<String> alpn = f.strings("alpn", false);
    String server = common.server();
    if (password == null || server == null) {
      return null;
    }
    Tls tls = new Tls(sni != null ? sni : server, skip, alpn.toArray(String[]::new));
    return new TrojanOutbound(common.name(), server, common.port(), password, tls, dialer);
  }
}
