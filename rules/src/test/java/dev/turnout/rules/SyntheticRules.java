package dev.turnout.rules;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A large rule list shaped like public Clash lists (e.g. Loyalsoldier's reject/proxy/cncidr):
 * DOMAIN-SUFFIX entries of random labels under common TLDs, IPv4 CIDRs of /12 to /24 with
 * no-resolve, and DOMAIN-KEYWORD rules, shuffled together and ended by MATCH. Domains use only
 * letters and keywords always contain a digit, so every sampled answer is known by construction.
 * Deterministic for a seed. Shared by the tests and the JMH benchmark.
 */
final class SyntheticRules {
  private static final String[] TLDS = {"com", "net", "org", "cn", "io", "co.uk", "de", "jp"};

  final List<String> lines = new ArrayList<>();
  final List<String> domains = new ArrayList<>(); // index = line number of its rule
  final List<String> cidrs = new ArrayList<>();
  final List<String> keywords = new ArrayList<>();
  final List<Integer> domainLine = new ArrayList<>();
  final List<Integer> cidrLine = new ArrayList<>();
  final List<Integer> keywordLine = new ArrayList<>();

  SyntheticRules(int domainCount, int cidrCount, int keywordCount, long seed) {
    Random rnd = new Random(seed);
    Set<String> seen = new LinkedHashSet<>();
    while (seen.size() < domainCount) {
      String d = label(rnd) + (rnd.nextInt(3) == 0 ? "." + label(rnd) : "");
      seen.add(d + "." + TLDS[rnd.nextInt(TLDS.length)]);
    }
    List<String> pending = new ArrayList<>();
    for (String d : seen) {
      pending.add("D" + d);
    }
    for (int i = 0; i < cidrCount; i++) {
      int len = 12 + rnd.nextInt(13);
      int a = rnd.nextInt() & (int) (0xffffffffL << (32 - len));
      pending.add(
          "C"
              + (a >>> 24)
              + "."
              + (a >>> 16 & 255)
              + "."
              + (a >>> 8 & 255)
              + "."
              + (a & 255)
              + "/"
              + len);
    }
    for (int i = 0; i < keywordCount; i++) {
      pending.add("K" + label(rnd).substring(0, 3) + i);
    }
    java.util.Collections.shuffle(pending, rnd);
    String[] policies = {"Proxy", "DIRECT", "REJECT", "P1"};
    for (String p : pending) {
      String policy = policies[rnd.nextInt(policies.length)];
      String v = p.substring(1);
      int line = lines.size();
      switch (p.charAt(0)) {
        case 'D' -> {
          lines.add("DOMAIN-SUFFIX," + v + "," + policy);
          domains.add(v);
          domainLine.add(line);
        }
        case 'C' -> {
          lines.add("IP-CIDR," + v + "," + policy + ",no-resolve");
          cidrs.add(v);
          cidrLine.add(line);
        }
        default -> {
          lines.add("DOMAIN-KEYWORD," + v + "," + policy);
          keywords.add(v);
          keywordLine.add(line);
        }
      }
    }
    lines.add("MATCH,P2");
  }

  private static String label(Random rnd) {
    char[] c = new char[4 + rnd.nextInt(9)];
    for (int i = 0; i < c.length; i++) {
      c[i] = (char) ('a' + rnd.nextInt(26));
    }
    return new String(c);
  }

  List<RuleLine> ruleLines() {
    List<RuleLine> out = new ArrayList<>(lines.size());
    for (int i = 0; i < lines.size(); i++) {
      out.add(new RuleLine(lines.get(i), "big.yaml", i + 1));
    }
    return out;
  }

  /** The kinds of connection {@link #sample} draws, with their weights in sixteenths. */
  enum Kind {
    /** A listed domain itself or a name under it: decided by DOMAIN-SUFFIX. */
    DOMAIN(8),
    /** A name containing a keyword: DOMAIN-KEYWORD. */
    KEYWORD(2),
    /** An IP literal inside a listed CIDR: IP-CIDR. */
    CIDR(3),
    /** An unlisted name: falls through to MATCH. */
    NAME_MISS(2),
    /** An IP literal in no listed CIDR: falls through to MATCH. */
    IP_MISS(1);

    final int weight;

    Kind(int weight) {
      this.weight = weight;
    }
  }

  /**
   * {@code n} connections of the given kinds in proportion to their weights (all kinds: 8 of 16
   * domain hits, 2 keyword hits, 3 CIDR hits, 3 misses falling through to MATCH), shuffled. Every
   * connection is of the kind it claims, by construction: domains are letters only, keywords
   * contain a digit, and the IPs of {@link Kind#IP_MISS} are checked against every CIDR.
   */
  List<ConnectionInfo> sample(int n, long seed, Set<Kind> kinds) {
    Random rnd = new Random(seed);
    List<Kind> wheel = new ArrayList<>();
    for (Kind k : kinds) {
      boolean possible =
          switch (k) {
            case DOMAIN -> !domains.isEmpty();
            case KEYWORD -> !keywords.isEmpty();
            case CIDR -> !cidrs.isEmpty();
            default -> true;
          };
      for (int i = 0; possible && i < k.weight; i++) {
        wheel.add(k);
      }
    }
    if (wheel.isEmpty()) {
      throw new IllegalArgumentException("no connection of kinds " + kinds + " possible");
    }
    List<Addresses.Prefix> prefixes = new ArrayList<>();
    cidrs.forEach(c -> prefixes.add(Addresses.parsePrefix(c)));
    List<ConnectionInfo> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ConnectionInfo.Builder b = ConnectionInfo.builder(Network.TCP).destination(null, 443);
      switch (wheel.get(i % wheel.size())) {
        case DOMAIN -> {
          String d = domains.get(rnd.nextInt(domains.size()));
          String[] under = {"", "www.", "www.", "img.cdn."};
          b.host(under[rnd.nextInt(under.length)] + d);
        }
        case KEYWORD -> b.host("a" + keywords.get(rnd.nextInt(keywords.size())) + ".example.com");
        case CIDR -> {
          Addresses.Prefix p = prefixes.get(rnd.nextInt(prefixes.size()));
          long hostBits = (1L << (32 - p.length())) - 1;
          b.destination(v4(p.ip().lo | (rnd.nextInt() & hostBits)), 443);
        }
        case NAME_MISS -> b.host("cdn." + label(rnd) + ".example");
        case IP_MISS -> {
          long a;
          do {
            a = rnd.nextInt() & 0xFFFFFFFFL;
          } while (contains(prefixes, a));
          b.destination(v4(a), 443);
        }
      }
      out.add(b.build());
    }
    java.util.Collections.shuffle(out, rnd);
    return out;
  }

  private static boolean contains(List<Addresses.Prefix> prefixes, long a) {
    Ip ip = Ip.of(v4(a));
    for (Addresses.Prefix p : prefixes) {
      if (p.contains(ip)) {
        return true;
      }
    }
    return false;
  }

  private static InetAddress v4(long a) {
    byte[] b = {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a};
    try {
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
