package dev.turnout.launcher.config;

import dev.turnout.config.MappingReader;

/**
 * The IPv6 switches: top-level {@code ipv6} (mihomo's master switch, on by default: the TUN gets an
 * IPv6 address and range, auto-route captures IPv6, DIRECT resolves AAAA), {@code dns.ipv6} (AAAA
 * answers from the fake IPv6 pool; off by default, as in mihomo: AAAA answers are empty) and {@code
 * dns.fake-ip-range6}, the IPv6 range divided by {@link AddressPlan6}.
 *
 * @param plan the IPv6 plan, null when IPv6 is off
 * @param fakeAaaa whether AAAA queries get fake IPv6 answers
 */
record Ipv6Config(AddressPlan6 plan, boolean fakeAaaa) {
  /** IPv6 needs this MTU on the TUN; below it the kernel keeps no IPv6 on the device. */
  static final int MIN_MTU = 1280;

  static final Ipv6Config OFF = new Ipv6Config(null, false);

  static Ipv6Config read(MappingReader top, MappingReader dns, int tunMtu) {
    boolean on = top.bool("ipv6", true);
    boolean aaaa = dns.bool("ipv6", false);
    String text = dns.string("fake-ip-range6", AddressPlan6.DEFAULT_RANGE);
    AddressPlan6 plan;
    try {
      plan = AddressPlan6.of(AddressPlan6.ipv6Range(text.strip()));
    } catch (IllegalArgumentException e) {
      dns.problem("fake-ip-range6", e.getMessage());
      plan = AddressPlan6.of(AddressPlan6.ipv6Range(AddressPlan6.DEFAULT_RANGE));
    }
    if (!on) {
      if (aaaa) {
        dns.warning("ipv6", "has no effect with ipv6: false: AAAA answers stay empty");
      }
      return OFF;
    }
    if (tunMtu < MIN_MTU) {
      top.warning(
          "ipv6",
          "IPv6 needs tun.mtu " + MIN_MTU + " or more; running without IPv6 (AAAA answers empty)");
      return OFF;
    }
    return new Ipv6Config(plan, aaaa);
  }
}
