package dev.turnout.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.HostResolver;
import dev.turnout.rules.Matchers.RuleSetRef;
import dev.turnout.rules.Matchers.SubRuleRef;
import dev.turnout.rules.ProviderSpec.Behavior;
import dev.turnout.rules.ProviderSpec.Format;
import dev.turnout.rules.ProviderSpec.Type;
import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The indexed engine against the plain reading of Clash's semantics: walk the rules in order,
 * resolve at the first rule that needs an IP, return the first that matches. Random rule lists and
 * connections over a small vocabulary, so that rules of every type overlap often.
 */
class DifferentialTest {
  private static final String[] LABELS = {"a", "b", "ad", "cdn", "x"};
  private static final String[] TLDS = {"com", "net"};
  private static final String[] V4 = {
    "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "192.0.2.0/24", "0.0.0.0/0", "10.1.2.3/32"
  };
  private static final String[] HOST_IPS = {"10.1.2.3", "10.9.9.9", "192.0.2.1", "198.51.100.7"};

  @TempDir Path dir;

  @Test
  void indexedEngineAgreesWithLinearReference() throws Exception {
    Random rnd = new Random(20250101);
    for (int round = 0; round < 150; round++) {
      check(rnd, round);
    }
  }

  private void check(Random rnd, int round) throws Exception {
    Map<String, ProviderSpec> specs = new LinkedHashMap<>();
    specs.put("doms", provider("doms" + round, Behavior.DOMAIN, domainEntries(rnd)));
    specs.put("ips", provider("ips" + round, Behavior.IPCIDR, cidrEntries(rnd)));
    specs.put("mix", provider("mix" + round, Behavior.CLASSICAL, classicalEntries(rnd)));
    List<String> lines = new ArrayList<>();
    int n = 1 + rnd.nextInt(25);
    for (int i = 0; i < n; i++) {
      String r = rule(rnd, 0);
      String noResolve = r.endsWith(",no-resolve") ? ",no-resolve" : "";
      r = r.substring(0, r.length() - noResolve.length());
      lines.add(r + ",P" + (1 + rnd.nextInt(4)) + noResolve);
    }
    Fixtures.RecordingResolver dns = new Fixtures.RecordingResolver();
    for (String l : LABELS) {
      for (String t : TLDS) {
        dns.answer(l + "." + t, HOST_IPS[rnd.nextInt(HOST_IPS.length)]);
      }
    }
    RuleEngine engine =
        RuleEngine.builder()
            .rules(Fixtures.lines(lines.toArray(new String[0])))
            .providers(List.copyOf(specs.values()))
            .policies(Fixtures.POLICIES)
            .resolver(dns)
            .build();

    // The reference: the same parsed rules, evaluated one by one.
    RuleParser parser = new RuleParser(Fixtures.POLICIES, specs.keySet());
    List<Rule> rules = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      rules.add(parser.parseRule(lines.get(i), "config.yaml:" + (10 + i)));
    }
    Map<String, List<Rule>> sets = new LinkedHashMap<>();
    for (Map.Entry<String, ProviderSpec> e : specs.entrySet()) {
      byte[] content = Files.readAllBytes(e.getValue().path());
      sets.put(e.getKey(), ProviderList.parse(e.getValue(), content, "f", parser).entries());
    }
    Compiled compiled = Compiled.build(rules, sets, GeoDb.NONE, List.of(), dns);

    for (int k = 0; k < 60; k++) {
      ConnectionInfo c = connection(rnd);
      String context = "round " + round + ", " + c + ", rules:\n" + String.join("\n", lines);
      assertAgrees(engine, rules, sets, compiled, dns, c, context + "\nproviders: " + sets);
    }
  }

  static void assertAgrees(
      RuleEngine engine,
      List<Rule> rules,
      Map<String, List<Rule>> sets,
      Compiled compiled,
      HostResolver dns,
      ConnectionInfo c,
      String context) {
    assertAgrees(engine, rules, sets, Map.of(), compiled, dns, c, context);
  }

  /**
   * The engine's decision for {@code c} equals the plain evaluation of {@code rules}: in order,
   * resolving at the first rule that needs an IP, stopping at the first match.
   */
  static void assertAgrees(
      RuleEngine engine,
      List<Rule> rules,
      Map<String, List<Rule>> sets,
      Map<String, List<Rule>> subs,
      Compiled compiled,
      HostResolver dns,
      ConnectionInfo c,
      String context) {
    Decision d = engine.decide(c);
    Ctx ctx = new Ctx(c, compiled);
    String expected = "fallback DIRECT";
    boolean triedResolve = false;
    for (int i = 0; i < rules.size(); i++) {
      Rule r = rules.get(i);
      if (!triedResolve
          && ctx.dst == null
          && ctx.host != null
          && r.matcher().needsResolve(compiled)) {
        triedResolve = true;
        ctx.resolve(dns, i);
      }
      if (r.matcher() instanceof SubRuleRef sub) {
        String policy = sub.condition().matches(ctx) ? subList(sub.name(), subs, sets, ctx) : null;
        if (policy != null) {
          expected = r.source() + " " + policy;
          break;
        }
      } else if (matches(r.matcher(), sets, ctx)) {
        expected = r.source() + " " + r.policy();
        break;
      }
    }
    String actual =
        d.fallback()
            ? "fallback DIRECT"
            : (d.ruleSet() != null
                    ? d.ruleSet().replaceAll(".*\\((config.yaml:\\d+)\\)$", "$1")
                    : d.source())
                + " "
                + d.policy();
    assertThat(actual).as(context).isEqualTo(expected);
    assertThat(d.resolved()).as(context).isEqualTo(ctx.resolved);
  }

  private static boolean matches(Matcher m, Map<String, List<Rule>> sets, Ctx ctx) {
    return m instanceof RuleSetRef ref
        ? sets.get(ref.name()).stream().anyMatch(e -> e.matcher().matches(ctx))
        : m.matches(ctx);
  }

  /** The policy of the first matching rule of sub-rules list {@code name}, or null. */
  private static String subList(
      String name, Map<String, List<Rule>> subs, Map<String, List<Rule>> sets, Ctx ctx) {
    for (Rule s : subs.get(name)) {
      if (s.matcher() instanceof SubRuleRef inner) {
        String p = inner.condition().matches(ctx) ? subList(inner.name(), subs, sets, ctx) : null;
        if (p != null) {
          return p;
        }
      } else if (matches(s.matcher(), sets, ctx)) {
        return s.policy();
      }
    }
    return null;
  }

  /**
   * A wider vocabulary aimed at the index structures: IPv4 and IPv6 prefixes of every length nested
   * around a few bases (the ends of the address space among them), destinations and resolved
   * addresses on the first and last address of listed prefixes and just outside them, and domain
   * patterns in every form over many names, as config rules and in providers.
   */
  @Test
  void indexesAgreeOnPrefixBoundariesIpv6AndManyNames() throws Exception {
    SplittableRandom rnd = new SplittableRandom(20250611);
    for (int round = 0; round < 80; round++) {
      checkWide(rnd, round);
    }
  }

  private static final String[] WIDE_LABELS = {"a", "b", "cdn", "x1", "static", "m-2", "img", "q"};
  private static final String[] WIDE_TLDS = {"com", "net", "co.uk"};
  private static final String[] V4_BASES = {"10.0.0.0", "10.1.2.0", "192.0.2.128", "0.0.0.0"};
  private static final String[] V6_BASES = {"2001:db8::", "::", "2001:db8:0:1::", "fe80::"};

  private void checkWide(SplittableRandom rnd, int round) throws Exception {
    List<BigInteger[]> prefixes = new ArrayList<>(); // {first, last, bits}
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      names.add(wideName(rnd));
    }
    List<String> domainEntries = new ArrayList<>();
    for (int i = rnd.nextInt(40); i >= 0; i--) {
      String[] forms = {"", "+.", ".", "*."};
      domainEntries.add(forms[rnd.nextInt(forms.length)] + pick(rnd, names));
    }
    List<String> cidrEntries = new ArrayList<>();
    for (int i = rnd.nextInt(20); i >= 0; i--) {
      cidrEntries.add(cidr(rnd, prefixes).replaceFirst("^IP-CIDR6?,", ""));
    }
    Map<String, ProviderSpec> specs = new LinkedHashMap<>();
    specs.put("wdoms", provider("wdoms" + round, Behavior.DOMAIN, domainEntries));
    specs.put("wips", provider("wips" + round, Behavior.IPCIDR, cidrEntries));
    List<String> lines = new ArrayList<>();
    for (int i = 5 + rnd.nextInt(40); i > 0; i--) {
      String policy = ",P" + (1 + rnd.nextInt(4));
      String noResolve = rnd.nextInt(3) == 0 ? ",no-resolve" : "";
      int t = rnd.nextInt(20);
      if (t < 5) {
        lines.add((t < 2 ? "DOMAIN," : "DOMAIN-SUFFIX,") + pick(rnd, names) + policy);
      } else if (t < 12) {
        lines.add(cidr(rnd, prefixes) + policy + noResolve);
      } else if (t < 14) {
        lines.add("SRC-" + cidr(rnd, prefixes).replace("IP-CIDR6", "IP-CIDR") + policy);
      } else if (t < 16) {
        lines.add("RULE-SET," + (t == 14 ? "wdoms" : "wips") + policy + noResolve);
      } else if (t < 18) {
        lines.add("DOMAIN-KEYWORD," + pick(rnd, WIDE_LABELS) + policy);
      } else if (t == 18) {
        lines.add("DST-PORT,22" + policy);
      } else {
        lines.add("MATCH" + policy);
      }
    }
    Fixtures.RecordingResolver dns = new Fixtures.RecordingResolver();
    for (String name : names) {
      if (rnd.nextInt(5) != 0) {
        dns.answer(name, address(rnd, prefixes));
      }
    }
    RuleEngine engine =
        RuleEngine.builder()
            .rules(Fixtures.lines(lines.toArray(new String[0])))
            .providers(List.copyOf(specs.values()))
            .policies(Fixtures.POLICIES)
            .resolver(dns)
            .build();
    RuleParser parser = new RuleParser(Fixtures.POLICIES, specs.keySet());
    List<Rule> rules = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      rules.add(parser.parseRule(lines.get(i), "config.yaml:" + (10 + i)));
    }
    Map<String, List<Rule>> sets = new LinkedHashMap<>();
    for (Map.Entry<String, ProviderSpec> e : specs.entrySet()) {
      byte[] content = Files.readAllBytes(e.getValue().path());
      sets.put(e.getKey(), ProviderList.parse(e.getValue(), content, "f", parser).entries());
    }
    Compiled compiled = Compiled.build(rules, sets, GeoDb.NONE, List.of(), dns);
    for (int k = 0; k < 100; k++) {
      ConnectionInfo.Builder b = ConnectionInfo.builder(Network.TCP);
      int kind = rnd.nextInt(4);
      if (kind != 1) {
        String[] under = {"", "", "www.", "a.b.", "x1"};
        b.host(pick(rnd, under) + pick(rnd, names));
      }
      b.destination(kind == 0 ? null : Fixtures.ip(address(rnd, prefixes)), 443);
      b.source(rnd.nextBoolean() ? Fixtures.ip(address(rnd, prefixes)) : null, 40000);
      ConnectionInfo c = b.build();
      String context = "wide round " + round + ", " + c + ", rules:\n" + String.join("\n", lines);
      assertAgrees(engine, rules, sets, compiled, dns, c, context + "\nproviders: " + sets);
    }
  }

  private static String wideName(SplittableRandom rnd) {
    StringBuilder sb = new StringBuilder();
    for (int i = rnd.nextInt(3); i >= 0; i--) {
      sb.append(pick(rnd, WIDE_LABELS)).append('.');
    }
    return sb.append(pick(rnd, WIDE_TLDS)).toString();
  }

  private static String pick(SplittableRandom rnd, List<String> from) {
    return from.get(rnd.nextInt(from.size()));
  }

  private static String pick(SplittableRandom rnd, String[] from) {
    return from[rnd.nextInt(from.length)];
  }

  /** A rule text {@code IP-CIDR,a/len} or {@code IP-CIDR6,a/len} near a base; records it. */
  private static String cidr(SplittableRandom rnd, List<BigInteger[]> prefixes) {
    boolean v6 = rnd.nextInt(3) == 0;
    int bits = v6 ? 128 : 32;
    int len = rnd.nextInt(4) == 0 ? rnd.nextInt(bits + 1) : bits - rnd.nextInt(Math.min(bits, 12));
    BigInteger base = value(pick(rnd, v6 ? V6_BASES : V4_BASES));
    BigInteger noise =
        new BigInteger(bits - len + rnd.nextInt(len + 1), new Random(rnd.nextLong()));
    BigInteger all = BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE);
    BigInteger host = BigInteger.ONE.shiftLeft(bits - len).subtract(BigInteger.ONE);
    BigInteger first = base.xor(noise).and(all).andNot(host);
    prefixes.add(new BigInteger[] {first, first.or(host), BigInteger.valueOf(bits)});
    return (v6 ? "IP-CIDR6," : "IP-CIDR,") + literal(first, bits) + "/" + len;
  }

  /** An address on or just beside a recorded prefix's ends, or near a base. */
  private static String address(SplittableRandom rnd, List<BigInteger[]> prefixes) {
    if (prefixes.isEmpty() || rnd.nextInt(5) == 0) {
      boolean v6 = rnd.nextInt(3) == 0;
      BigInteger noise = BigInteger.valueOf(rnd.nextInt(1 << 12));
      return literal(value(pick(rnd, v6 ? V6_BASES : V4_BASES)).xor(noise), v6 ? 128 : 32);
    }
    BigInteger[] p = prefixes.get(rnd.nextInt(prefixes.size()));
    int bits = p[2].intValue();
    BigInteger a =
        switch (rnd.nextInt(5)) {
          case 0 -> p[0];
          case 1 -> p[1];
          case 2 -> p[0].subtract(BigInteger.ONE);
          case 3 -> p[1].add(BigInteger.ONE);
          default -> p[0].add(BigInteger.valueOf(rnd.nextLong() & 0xff)).min(p[1]);
        };
    return literal(a.mod(BigInteger.ONE.shiftLeft(bits)), bits);
  }

  private static BigInteger value(String literal) {
    return new BigInteger(1, Fixtures.ip(literal).getAddress());
  }

  /** The literal of {@code a}; an IPv6 value that Java would turn into IPv4 is kept apart. */
  private static String literal(BigInteger a, int bits) {
    byte[] b = new byte[bits / 8];
    byte[] raw = a.toByteArray();
    for (int i = 0; i < Math.min(b.length, raw.length); i++) {
      b[b.length - 1 - i] = raw[raw.length - 1 - i];
    }
    try {
      InetAddress addr = InetAddress.getByAddress(b);
      if (bits == 128 && addr instanceof Inet4Address) {
        return "2001:db8::1"; // ::ffff:a.b.c.d: not an IPv6 address to Java
      }
      return addr.getHostAddress();
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private ProviderSpec provider(String file, Behavior b, List<String> entries) throws Exception {
    Path p = dir.resolve(file + ".txt");
    Files.write(p, String.join("\n", entries).getBytes(StandardCharsets.UTF_8));
    String name = file.replaceAll("\\d+$", "");
    return new ProviderSpec(name, Type.FILE, b, Format.TEXT, p, null, Duration.ZERO, "c", 1);
  }

  private static String domain(Random rnd) {
    StringBuilder sb = new StringBuilder();
    int labels = rnd.nextInt(3);
    for (int i = 0; i < labels; i++) {
      sb.append(LABELS[rnd.nextInt(LABELS.length)]).append('.');
    }
    return sb.append(LABELS[rnd.nextInt(LABELS.length)])
        .append('.')
        .append(TLDS[rnd.nextInt(TLDS.length)])
        .toString();
  }

  private static List<String> domainEntries(Random rnd) {
    String[] forms = {"", "+.", ".", "*."};
    List<String> out = new ArrayList<>();
    for (int i = rnd.nextInt(6); i >= 0; i--) {
      out.add(forms[rnd.nextInt(forms.length)] + domain(rnd));
    }
    return out;
  }

  private static List<String> cidrEntries(Random rnd) {
    List<String> out = new ArrayList<>();
    for (int i = rnd.nextInt(3); i >= 0; i--) {
      out.add(V4[rnd.nextInt(V4.length)]);
    }
    return out;
  }

  private static List<String> classicalEntries(Random rnd) {
    List<String> out = new ArrayList<>();
    for (int i = rnd.nextInt(4); i >= 0; i--) {
      String r = rule(rnd, 1);
      while (r.contains("RULE-SET") || r.startsWith("MATCH")) { // not allowed in providers
        r = rule(rnd, 1);
      }
      out.add(r);
    }
    return out;
  }

  private static String option(Random rnd) {
    return rnd.nextInt(3) == 0 ? ",no-resolve" : "";
  }

  /** A rule without its policy; depth limits nesting of logic rules. */
  private static String rule(Random rnd, int depth) {
    switch (rnd.nextInt(depth < 2 ? 17 : 14)) {
      case 0:
        return "DOMAIN," + domain(rnd);
      case 1:
      case 2:
        return "DOMAIN-SUFFIX," + domain(rnd);
      case 3:
        return "DOMAIN-KEYWORD," + LABELS[rnd.nextInt(LABELS.length)];
      case 4:
        return "DOMAIN-REGEX,^" + LABELS[rnd.nextInt(LABELS.length)] + "\\.";
      case 5:
      case 6:
        return "IP-CIDR," + V4[rnd.nextInt(V4.length)] + option(rnd);
      case 7:
        return "SRC-IP-CIDR," + (rnd.nextBoolean() ? "192.168.0.0/16" : "172.16.0.0/12");
      case 8:
        return "DST-PORT," + (rnd.nextBoolean() ? "443" : "20-25");
      case 9:
        return "NETWORK," + (rnd.nextBoolean() ? "udp" : "tcp");
      case 10:
        return "PROCESS-NAME," + (rnd.nextBoolean() ? "curl" : "wget");
      case 11:
        return "GEOIP,LAN" + option(rnd);
      case 12:
        return "RULE-SET," + new String[] {"doms", "ips", "mix"}[rnd.nextInt(3)] + option(rnd);
      case 13:
        return rnd.nextInt(8) == 0 ? "MATCH" : "SRC-PORT,40000-40010";
      case 14:
        return "NOT,((" + rule(rnd, depth + 1).replace("MATCH", "DST-PORT,1") + "))";
      default:
        String op = rnd.nextBoolean() ? "AND" : "OR";
        return op
            + ",(("
            + rule(rnd, depth + 1).replace("MATCH", "DST-PORT,1")
            + "),("
            + rule(rnd, depth + 1).replace("MATCH", "DST-PORT,1")
            + "))";
    }
  }

  private static ConnectionInfo connection(Random rnd) {
    ConnectionInfo.Builder b =
        ConnectionInfo.builder(rnd.nextBoolean() ? Network.TCP : Network.UDP);
    int kind = rnd.nextInt(3);
    if (kind != 1) {
      b.host(domain(rnd));
    }
    String ip = kind == 0 ? null : HOST_IPS[rnd.nextInt(HOST_IPS.length)];
    b.destination(ip == null ? null : Fixtures.ip(ip), rnd.nextBoolean() ? 443 : 22);
    b.source(Fixtures.ip(rnd.nextBoolean() ? "192.168.1.2" : "10.0.0.2"), 40000 + rnd.nextInt(20));
    String proc = rnd.nextBoolean() ? "curl" : "firefox";
    return b.process(() -> new ProcessInfo(proc, "/usr/bin/" + proc)).build();
  }
}
