package dev.turnout.launcher;

import dev.turnout.fakedns.DnsResolver;
import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.launcher.config.AddressPlan;
import dev.turnout.launcher.config.AddressPlan6;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.netbase.Ipv4;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * The IPv6 decisions of the assembly, in one place: the fake IPv6 pool for AAAA answers, how DIRECT
 * and the rules resolve (A and AAAA with IPv6 on, A only without), Turnout's own ranges, and where
 * the DNS server listens for IPv6 queries hijacked from the TUN.
 */
final class Ipv6Parts {
  private Ipv6Parts() {}

  /** The fake IPv6 pool when AAAA queries get fake answers ({@code dns.ipv6}), else null. */
  static FakeIpPool fakePool6(TurnoutConfig config) {
    AddressPlan6 plan6 = config.plan().ipv6();
    if (config.fakeDns().fakeIpRange6() == null || plan6 == null) {
      return null;
    }
    return FakeIpPool.of(plan6.fakeFirst(), plan6.fakeCount());
  }

  /**
   * Whether a new device here gets IPv6 (it exists, and is disabled neither for all interfaces nor
   * by default for new ones, as the TUN will be): without it the TUN cannot get an IPv6 address, so
   * fake AAAA answers would lead nowhere.
   */
  static boolean hostHasIpv6() {
    return Files.exists(Path.of("/proc/net/if_inet6"))
        && ipv6Enabled("all")
        && ipv6Enabled("default");
  }

  private static boolean ipv6Enabled(String scope) {
    try {
      Path setting = Path.of("/proc/sys/net/ipv6/conf", scope, "disable_ipv6");
      return "0".equals(Files.readString(setting).strip());
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * What DIRECT and IP rules resolve names with: with IPv6 on, A and AAAA (IPv4 first), never an
   * address of Turnout's own ranges; otherwise A only, as {@code builder} was.
   */
  static DnsResolver.Builder resolving(AddressPlan plan, DnsResolver.Builder builder) {
    return plan.ipv6() == null ? builder : builder.ipv6(ownRange(plan));
  }

  /** Turnout's own ranges, IPv4 and IPv6: never dialed, and trusted as DNS clients. */
  static Predicate<InetAddress> ownRange(AddressPlan plan) {
    AddressPlan6 plan6 = plan.ipv6();
    return address ->
        address instanceof Inet4Address
            ? plan.range().contains(Ipv4.toInt(address))
            : plan6 != null && plan6.range().contains(address);
  }

  /**
   * Where the DNS server must also listen when the TUN serves IPv6: on the TUN's IPv6 address, at
   * the port of {@code dns.listen}, where the rewriter sends hijacked IPv6 queries. Null when the
   * TUN serves IPv4 only.
   */
  static InetSocketAddress dnsListener6(TurnoutConfig config, AddressPlan6 active) {
    return active == null
        ? null
        : new InetSocketAddress(active.tunAddress(), config.dns().listen().getPort());
  }
}
