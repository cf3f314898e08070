package dev.turnout.rules;

import static dev.turnout.rules.Fixtures.host;
import static dev.turnout.rules.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.rules.ProviderSpec.Behavior;
import dev.turnout.rules.ProviderSpec.Format;
import dev.turnout.rules.ProviderSpec.Type;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inline providers, ACL4SSR .list files without format:, mrs files. */
class ProviderFormatsTest {
  @TempDir Path dir;

  private ProviderSpec file(String name, Behavior b, Format f, byte[] content) throws Exception {
    Path p = dir.resolve(name);
    Files.write(p, content);
    return new ProviderSpec(name, Type.FILE, b, f, p, null, null, "config.yaml", 7);
  }

  private RuleEngine engine(List<ProviderSpec> specs, String... rules) throws RuleException {
    return RuleEngine.builder()
        .rules(Fixtures.lines(rules))
        .providers(specs)
        .policies(Fixtures.POLICIES)
        .build();
  }

  @Test
  void inlinePayloadIsARuleSetWithConfigLines() throws Exception {
    ProviderSpec inline =
        ProviderSpec.inline(
            "mine",
            Behavior.CLASSICAL,
            List.of(
                new RuleLine("DOMAIN-SUFFIX,inline.example", "config.yaml", 30),
                new RuleLine("USER-AGENT,Surge*", "config.yaml", 31),
                new RuleLine("DST-PORT,25", "config.yaml", 32)),
            "config.yaml",
            28);
    RuleEngine e = engine(List.of(inline), "RULE-SET,mine,P1", "MATCH,P2");
    assertThat(e.decide(host("a.inline.example")).policy()).isEqualTo("P1");
    Decision d = e.decide(tcp("mail.example", 25));
    assertThat(d.source()).isEqualTo("provider mine: entry 3 (config.yaml:32)");
    assertThat(e.warnings().get(0).where()).isEqualTo("provider mine: entry 2 (config.yaml:31)");
    assertThat(e.warnings().get(0).message())
        .isEqualTo(
            "unknown rule type 'USER-AGENT' (a mihomo or Surge rule type that Turnout does not"
                + " implement)");
    assertThat(e.refresh("mine")).isFalse();
  }

  @Test
  void acl4ssrListWithoutFormatIsReadAsText() throws Exception {
    String list =
        "# 内容：Google 服务\n"
            + "# 数量：4 条\n"
            + "DOMAIN-SUFFIX,google.example\n"
            + "DOMAIN-KEYWORD,googleapis\n"
            + "USER-AGENT,Google*\n"
            + "URL-REGEX,^https?://www\\.google\\.example/maps\n"
            + "IP-CIDR,203.0.113.0/24,no-resolve\n"
            + "IP-CIDR6,2001:db8:4860::/48,no-resolve\n";
    ProviderSpec google =
        file("Google.list", Behavior.CLASSICAL, Format.AUTO, list.getBytes("UTF-8"));
    RuleEngine e = engine(List.of(google), "RULE-SET,Google.list,P1", "MATCH,DIRECT");
    assertThat(e.decide(host("www.google.example")).policy()).isEqualTo("P1");
    assertThat(e.decide(host("x.googleapis.example")).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("203.0.113.5", 443)).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("2001:db8:4860::1", 443)).policy()).isEqualTo("P1");
    assertThat(e.providerSizes()).containsEntry("Google.list", 4);
    assertThat(e.warnings())
        .extracting(RuleException.Problem::line)
        .containsExactly(5, 6, 7); // two skipped lines, then the count at the spec
    assertThat(e.warnings().get(2).message()).isEqualTo("2 of 6 entries skipped");
  }

  @Test
  void autoFormatStillReadsYamlPayloads() throws Exception {
    ProviderSpec yaml =
        file(
            "ads.yaml", Behavior.DOMAIN, Format.AUTO, "payload:\n  - '+.ads.example'\n".getBytes());
    RuleEngine e = engine(List.of(yaml), "RULE-SET,ads.yaml,REJECT");
    assertThat(e.decide(host("x.ads.example")).policy()).isEqualTo("REJECT");
  }

  @Test
  void mrsDomainSetKeepsEachPatternForm() throws Exception {
    // as mihomo's trie holds them: +.a.example is "below a.example", a.example itself apart
    byte[] mrs =
        MrsWriter.domains(
            List.of(
                "a.example", "+.a.example", "+.sub.b.example", "*.c.example", "exact.d.example"));
    List<String> read = MrsFormat.read(mrs, Behavior.DOMAIN);
    assertThat(read)
        .containsExactlyInAnyOrder(
            "a.example", ".a.example", ".sub.b.example", "*.c.example", "exact.d.example");
    ProviderSpec spec = file("set.mrs", Behavior.DOMAIN, Format.MRS, mrs);
    RuleEngine e = engine(List.of(spec), "RULE-SET,set.mrs,P1", "MATCH,P2");
    assertThat(e.decide(host("a.example")).policy()).isEqualTo("P1");
    assertThat(e.decide(host("x.y.a.example")).policy()).isEqualTo("P1");
    assertThat(e.decide(host("sub.b.example")).policy()).isEqualTo("P2"); // strictly below
    assertThat(e.decide(host("q.sub.b.example")).policy()).isEqualTo("P1");
    assertThat(e.decide(host("q.c.example")).policy()).isEqualTo("P1");
    assertThat(e.decide(host("p.q.c.example")).policy()).isEqualTo("P2"); // one label only
    assertThat(e.decide(host("d.example")).policy()).isEqualTo("P2");
    // detected without format:
    ProviderSpec auto = file("auto", Behavior.DOMAIN, Format.AUTO, mrs);
    assertThat(engine(List.of(auto), "RULE-SET,auto,P1").decide(host("a.example")).policy())
        .isEqualTo("P1");
  }

  @Test
  void mrsDomainSetOfManyNamesRoundTrips() throws Exception {
    List<String> names = new ArrayList<>();
    java.util.Random rnd = new java.util.Random(7);
    for (int i = 0; i < 3000; i++) {
      String n = Long.toString(rnd.nextLong() & 0xffffffL, 36) + "." + (i % 7) + "x.example";
      names.add(rnd.nextBoolean() ? "+." + n : n);
    }
    List<String> expected = new ArrayList<>();
    for (String n : new java.util.TreeSet<>(names)) {
      expected.add(n.startsWith("+.") ? n.substring(1) : n);
    }
    assertThat(
            MrsFormat.read(
                MrsWriter.domains(List.copyOf(new java.util.TreeSet<>(names))), Behavior.DOMAIN))
        .containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void mrsIpRangesBecomeTheCidrsThatCoverThem() throws Exception {
    byte[] mrs =
        MrsWriter.ranges(
            "192.0.2.0",
            "192.0.2.255",
            "198.51.100.5",
            "198.51.100.9",
            "2001:db8::",
            "2001:db8::ffff");
    assertThat(MrsFormat.read(mrs, Behavior.IPCIDR))
        .containsExactly(
            "192.0.2.0/24",
            "198.51.100.5/32",
            "198.51.100.6/31",
            "198.51.100.8/31",
            "2001:db8:0:0:0:0:0:0/112");
    ProviderSpec spec = file("ips.mrs", Behavior.IPCIDR, Format.MRS, mrs);
    RuleEngine e = engine(List.of(spec), "RULE-SET,ips.mrs,P1,no-resolve", "MATCH,P2");
    assertThat(e.decide(tcp("198.51.100.9", 80)).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("198.51.100.10", 80)).policy()).isEqualTo("P2");
  }

  @Test
  void coverSplitsEveryRangeExactly() throws Exception {
    java.util.Random rnd = new java.util.Random(11);
    for (int i = 0; i < 500; i++) {
      long a = rnd.nextInt() & 0xffffffffL;
      long b = Math.min(0xffffffffL, a + (rnd.nextInt(1 << rnd.nextInt(20)) & 0xffffffffL));
      List<String> out = new ArrayList<>();
      MrsFormat.cover(BigInteger.valueOf(a), BigInteger.valueOf(b), 32, out);
      long next = a;
      for (String c : out) {
        Addresses.Prefix p = Addresses.parsePrefix(c);
        assertThat(p.ip().lo).as(c).isEqualTo(next);
        next += 1L << (32 - p.length());
      }
      assertThat(next - 1).isEqualTo(b);
    }
  }

  @Test
  void mrsOfTheWrongBehaviorOrDamagedIsAnError() throws Exception {
    byte[] domains = MrsWriter.domains(List.of("a.example"));
    ProviderSpec wrong = file("w.mrs", Behavior.IPCIDR, Format.MRS, domains);
    assertThatThrownBy(() -> engine(List.of(wrong), "RULE-SET,w.mrs,P1"))
        .hasMessageContaining("holds a domain list, the provider says ipcidr");
    byte[] cut = java.util.Arrays.copyOf(domains, domains.length - 4);
    ProviderSpec damaged = file("d.mrs", Behavior.DOMAIN, Format.MRS, cut);
    assertThatThrownBy(() -> engine(List.of(damaged), "RULE-SET,d.mrs,P1"))
        .hasMessageContaining("cannot read mrs list");
    ProviderSpec text = file("t.mrs", Behavior.DOMAIN, Format.MRS, "a.example\n".getBytes());
    assertThatThrownBy(() -> engine(List.of(text), "RULE-SET,t.mrs,P1"))
        .hasMessageContaining("not an mrs file");
  }
}
