package dev.turnout.launcher;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.Ipv4;
import dev.turnout.outbound.Destination;
import dev.turnout.rules.Decision;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Which of this host's own addresses a decision lets DIRECT dial ({@link Destination#localPermit}):
 * those inside the range of the deciding rule when that rule names a destination range explicitly —
 * {@code IP-CIDR}, {@code IP-CIDR6} or {@code IP-SUFFIX} in the config or a classical provider, or
 * an entry of an {@code ipcidr} provider — and none otherwise. So {@code
 * IP-CIDR,127.0.0.0/8,DIRECT} lets flows to loopback through, while a name that merely resolves
 * there, or {@code MATCH,DIRECT}, does not. Stateless.
 */
final class LocalPermits {
  private LocalPermits() {}

  static Predicate<InetAddress> of(Decision decision) {
    String[] parts = decision.rule().split(",", -1);
    try {
      if (parts.length == 1 && decision.ruleSet() != null) {
        return Cidr.parseMasking(parts[0].strip())::contains; // an ipcidr provider's entry
      }
      if (parts.length < 2 || Arrays.stream(parts).anyMatch(p -> p.strip().equals("src"))) {
        return Destination.NO_LOCAL;
      }
      String range = parts[1].strip();
      return switch (parts[0].strip().toUpperCase(Locale.ROOT)) {
        case "IP-CIDR", "IP-CIDR6" -> Cidr.parseMasking(range)::contains;
        case "IP-SUFFIX" -> suffix(range);
        default -> Destination.NO_LOCAL;
      };
    } catch (IllegalArgumentException notARange) {
      return Destination.NO_LOCAL;
    }
  }

  /** mihomo's {@code IP-SUFFIX,0.0.0.1/8}: the last 8 bits are those of 0.0.0.1 (IPv4 only). */
  private static Predicate<InetAddress> suffix(String text) {
    int slash = text.indexOf('/');
    if (slash < 0
        || !(IpLiterals.parseOrNull(text.substring(0, slash)) instanceof Inet4Address address)) {
      return Destination.NO_LOCAL;
    }
    int bits = Integer.parseInt(text.substring(slash + 1));
    if (bits < 0 || bits > 32) {
      return Destination.NO_LOCAL;
    }
    int mask = bits == 32 ? -1 : (1 << bits) - 1;
    int want = Ipv4.toInt(address) & mask;
    return a -> a instanceof Inet4Address && (Ipv4.toInt(a) & mask) == want;
  }
}
