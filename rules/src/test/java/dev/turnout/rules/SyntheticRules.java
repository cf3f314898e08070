package dev.turnout.rules;

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

  /** A mix of connections: subdomains of listed domains, unlisted names, keyword hits, IPs. */
  List<ConnectionInfo> sample(int n, long seed) {
    Random rnd = new Random(seed);
    List<ConnectionInfo> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ConnectionInfo.Builder b = ConnectionInfo.builder(Network.TCP).destination(null, 443);
      int kind = rnd.nextInt(8);
      if (kind < 4 && !domains.isEmpty()) {
        b.host("www." + domains.get(rnd.nextInt(domains.size())));
      } else if (kind < 6) {
        b.host("cdn." + label(rnd) + ".example");
      } else if (kind == 6 && !keywords.isEmpty()) {
        b.host("a" + keywords.get(rnd.nextInt(keywords.size())) + ".example.com");
      } else {
        b.target((rnd.nextInt(223) + 1) + "." + rnd.nextInt(256) + "." + rnd.nextInt(256) + ".1");
      }
      out.add(b.build());
    }
    return out;
  }
}
