package dev.turnout.rules;

import dev.turnout.rules.ProviderSpec.Behavior;
import dev.turnout.rules.ProviderSpec.Format;
import dev.turnout.rules.ProviderSpec.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DifferentialTest} for mihomo's rule types: GEOSITE lists, wildcards, IP suffixes, inbound
 * and owner rules and SUB-RULE lists mixed with the indexed types, against the plain one-by-one
 * evaluation (a SUB-RULE there: its condition, then its list, first match, recursively).
 */
class MihomoDifferentialTest {
  private static final String[] LABELS = {"a", "b", "ad", "cdn"};
  private static final String[] TLDS = {"com", "net"};
  private static final String[] IPS = {"10.1.2.3", "10.9.9.9", "192.0.2.1", "198.51.100.7"};

  @TempDir Path dir;

  @Test
  void newTypesAndSubRulesAgreeWithLinearReference() throws Exception {
    Random rnd = new Random(20260115);
    for (int round = 0; round < 120; round++) {
      check(rnd, round);
    }
  }

  private void check(Random rnd, int round) throws Exception {
    GeoSiteWriter geo = new GeoSiteWriter();
    for (String list : List.of("g1", "g2")) {
      String[] kinds = {"domain:", "full:", "keyword:", "regexp:^"};
      for (int i = rnd.nextInt(4); i >= 0; i--) {
        String k = kinds[rnd.nextInt(kinds.length)];
        geo.list(list, k + (k.startsWith("keyword") ? pick(rnd, LABELS) : domain(rnd)));
      }
    }
    Path dat = geo.write(dir.resolve("geo" + round + ".dat"));
    Map<String, ProviderSpec> specs = new LinkedHashMap<>();
    specs.put("doms", provider("doms" + round, Behavior.DOMAIN, List.of("+." + domain(rnd))));
    List<String> mixed = new ArrayList<>();
    for (int i = rnd.nextInt(3); i >= 0; i--) {
      mixed.add(rule(rnd, 1));
    }
    specs.put("mix", provider("mix" + round, Behavior.CLASSICAL, mixed));
    Map<String, List<RuleLine>> subLines = new LinkedHashMap<>();
    for (int s = 2; s >= 0; s--) { // s2 first: lists only use later ones, so no cycle
      List<RuleLine> list = new ArrayList<>();
      for (int i = rnd.nextInt(4); i >= 0; i--) {
        String r =
            s < 2 && rnd.nextInt(4) == 0
                ? "SUB-RULE,(" + rule(rnd, 2) + "),s" + (s + 1 + rnd.nextInt(2 - s))
                : rule(rnd, 0) + ",P" + (1 + rnd.nextInt(4));
        list.add(new RuleLine(withOptionLast(r), "sub.yaml", 100 * s + i));
      }
      subLines.put("s" + s, list);
    }
    List<String> lines = new ArrayList<>();
    for (int i = 1 + rnd.nextInt(20); i > 0; i--) {
      lines.add(
          rnd.nextInt(5) == 0
              ? "SUB-RULE,(" + rule(rnd, 2) + "),s" + rnd.nextInt(3)
              : withOptionLast(rule(rnd, 0) + ",P" + (1 + rnd.nextInt(4))));
    }
    Fixtures.RecordingResolver dns = new Fixtures.RecordingResolver();
    for (String l : LABELS) {
      for (String t : TLDS) {
        dns.answer(l + "." + t, IPS[rnd.nextInt(IPS.length)]);
      }
    }
    RuleEngine engine =
        RuleEngine.builder()
            .rules(Fixtures.lines(lines.toArray(new String[0])))
            .subRules(subLines)
            .providers(List.copyOf(specs.values()))
            .policies(Fixtures.POLICIES)
            .options(new RulesOptions(null, null, null, List.of(), dat))
            .resolver(dns)
            .build();

    GeoSites geosites = new GeoSites(dat);
    RuleParser parser =
        new RuleParser(Fixtures.POLICIES, specs.keySet(), GeoDb.NONE, geosites, subLines.keySet());
    List<Rule> rules = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      rules.add(parser.parseRule(lines.get(i), "config.yaml:" + (10 + i)));
    }
    Map<String, List<Rule>> subs = new LinkedHashMap<>();
    for (Map.Entry<String, List<RuleLine>> e : subLines.entrySet()) {
      List<Rule> list = new ArrayList<>();
      for (RuleLine l : e.getValue()) {
        list.add(parser.parseRule(l.text(), l.position()));
      }
      subs.put(e.getKey(), list);
    }
    Map<String, List<Rule>> sets = new LinkedHashMap<>();
    for (Map.Entry<String, ProviderSpec> e : specs.entrySet()) {
      byte[] content = Files.readAllBytes(e.getValue().path());
      sets.put(e.getKey(), ProviderList.parse(e.getValue(), content, "f", parser).entries());
    }
    sets.putAll(geosites.loaded());
    Compiled compiled = Compiled.build(rules, sets, subs, GeoDb.NONE, List.of(), dns);
    for (int k = 0; k < 60; k++) {
      ConnectionInfo c = connection(rnd);
      String context =
          "round "
              + round
              + ", "
              + c
              + ", rules:\n"
              + String.join("\n", lines)
              + "\nsub-rules: "
              + subLines
              + "\nsets: "
              + sets;
      DifferentialTest.assertAgrees(engine, rules, sets, subs, compiled, dns, c, context);
    }
  }

  /** {@code TYPE,PAYLOAD,no-resolve,POLICY} back to {@code TYPE,PAYLOAD,POLICY,no-resolve}. */
  private static String withOptionLast(String rule) {
    return rule.replaceFirst(",no-resolve(,P\\d)$", "$1,no-resolve");
  }

  private ProviderSpec provider(String file, Behavior b, List<String> entries) throws Exception {
    Path p = dir.resolve(file + ".txt");
    Files.write(p, String.join("\n", entries).getBytes(StandardCharsets.UTF_8));
    String name = file.replaceAll("\\d+$", "");
    return new ProviderSpec(name, Type.FILE, b, Format.TEXT, p, null, null, "c", 1);
  }

  private static String pick(Random rnd, String[] from) {
    return from[rnd.nextInt(from.length)];
  }

  private static String domain(Random rnd) {
    StringBuilder sb = new StringBuilder();
    for (int i = rnd.nextInt(2); i > 0; i--) {
      sb.append(pick(rnd, LABELS)).append('.');
    }
    return sb.append(pick(rnd, LABELS)).append('.').append(pick(rnd, TLDS)).toString();
  }

  /** A rule without policy; depth 0 may be anything, deeper ones no RULE-SET or logic nesting. */
  private static String rule(Random rnd, int depth) {
    switch (rnd.nextInt(depth == 0 ? 24 : 21)) {
      case 0:
        return "DOMAIN," + domain(rnd);
      case 1:
        return "DOMAIN-SUFFIX," + domain(rnd);
      case 2:
        return "DOMAIN-WILDCARD," + (rnd.nextBoolean() ? "*." : "?") + domain(rnd).substring(1);
      case 3:
        return "DOMAIN-REGEX,^" + pick(rnd, LABELS) + "\\.";
      case 4:
        return "GEOSITE," + (rnd.nextInt(3) == 0 ? "!" : "") + (rnd.nextBoolean() ? "g1" : "g2");
      case 5:
        return "GEOSITE,g1/g2";
      case 6:
        return "IP-CIDR," + (rnd.nextBoolean() ? "10.0.0.0/8" : "192.0.2.0/24") + noResolve(rnd);
      case 7:
        return "IP-SUFFIX," + (rnd.nextBoolean() ? "0.0.0.3/8" : "0.0.9.9/16") + noResolve(rnd);
      case 8:
        return "SRC-IP-SUFFIX,0.0.0.2/" + (rnd.nextBoolean() ? "8" : "24");
      case 9:
        return "IN-PORT," + (rnd.nextBoolean() ? "7890" : "7000-7891");
      case 10:
        return "IN-TYPE," + (rnd.nextBoolean() ? "SOCKS" : "Tun/http");
      case 11:
        return "IN-NAME," + (rnd.nextBoolean() ? "DEFAULT-TUN" : "mixed");
      case 12:
        return "IN-USER,alice";
      case 13:
        return "UID," + (rnd.nextBoolean() ? "1000" : "0-999/2000");
      case 14:
        return "PROCESS-NAME," + (rnd.nextBoolean() ? "Curl" : "a-very-long-process-name");
      case 15:
        return "PROCESS-PATH-REGEX," + (rnd.nextBoolean() ? "^/usr/" : "name$");
      case 16:
        return "DST-PORT," + (rnd.nextBoolean() ? "443/22" : "20-25");
      case 17:
        return "NETWORK," + (rnd.nextBoolean() ? "udp" : "tcp");
      case 18:
        return "GEOIP,LAN" + noResolve(rnd);
      case 19:
        return "NOT,((" + rule(rnd, depth + 1) + "))";
      case 20:
        return (rnd.nextBoolean() ? "AND" : "OR")
            + ",(("
            + rule(rnd, depth + 1)
            + "),("
            + rule(rnd, depth + 1)
            + "))";
      case 21:
      case 22:
        return "RULE-SET," + (rnd.nextBoolean() ? "doms" : "mix") + noResolve(rnd);
      default:
        return rnd.nextInt(4) == 0 ? "MATCH" : "SRC-PORT,40000-40005";
    }
  }

  private static String noResolve(Random rnd) {
    return rnd.nextInt(3) == 0 ? ",no-resolve" : "";
  }

  private static ConnectionInfo connection(Random rnd) {
    ConnectionInfo.Builder b =
        ConnectionInfo.builder(rnd.nextBoolean() ? Network.TCP : Network.UDP);
    int kind = rnd.nextInt(3);
    if (kind != 1) {
      b.host((rnd.nextInt(4) == 0 ? "x" : "") + domain(rnd));
    }
    String ip = kind == 0 ? null : pick(rnd, IPS);
    b.destination(ip == null ? null : Fixtures.ip(ip), rnd.nextBoolean() ? 443 : 22);
    b.source(Fixtures.ip(rnd.nextBoolean() ? "192.168.1.2" : "10.0.0.2"), 40000 + rnd.nextInt(10));
    switch (rnd.nextInt(4)) {
      case 0 -> b.inbound("Tun", "DEFAULT-TUN", 0);
      case 1 -> b.inbound("Socks5", "mixed", 7890).inboundUser(rnd.nextBoolean() ? "alice" : null);
      case 2 -> b.inbound("HTTP", "http-in", 8080);
      default -> {}
    }
    String[] names = {"curl", "CURL", "a-very-long-process-name", "firefox"};
    String proc = pick(rnd, names);
    int uid = new int[] {-1, 0, 1000, 2000, 1500}[rnd.nextInt(5)];
    return b.process(() -> new ProcessInfo(proc, "/usr/bin/" + proc, uid)).build();
  }
}
