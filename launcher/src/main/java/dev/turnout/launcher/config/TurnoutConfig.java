package dev.turnout.launcher.config;

import dev.turnout.rules.ProviderSpec;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/** A validated configuration. Everything in it has been checked; nothing here can fail later. */
public record TurnoutConfig(
    Path file,
    String logLevel,
    Dns dns,
    Tun tun,
    AddressPlan plan,
    List<RuleLine> rules,
    List<ProviderSpec> ruleProviders,
    Files files) {

  /**
   * Where Turnout keeps state (provider copies, fake-IP store) and the optional MaxMind databases
   * for GEOIP and IP-ASN rules (null when not configured).
   */
  public record Files(Path stateDir, Path geoipDatabase, Path asnDatabase) {}

  /** The {@code dns:} section. */
  public record Dns(
      boolean enable,
      InetSocketAddress listen,
      Ipv4Cidr fakeIpRange,
      List<String> fakeIpFilter,
      List<String> nameservers) {}

  /** The {@code tun:} section. {@code relayPort} is the listener port on the TUN address. */
  public record Tun(boolean enable, String device, int mtu, int relayPort) {}

  /** One entry of {@code rules:} with where it was written. */
  public record RuleLine(String text, String file, int line) {}
}
