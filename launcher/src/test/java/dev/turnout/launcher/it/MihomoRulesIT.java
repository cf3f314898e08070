package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * mihomo's rule types deciding real connections: curl in the client reaches nginx or is refused by
 * GEOSITE lists read from a geosite.dat the test writes, by a SUB-RULE list, and by PROCESS-NAME on
 * a curl copied to a name longer than the kernel's 15-character comm; {@code turnout explain} names
 * the deciding rule of each.
 */
class MihomoRulesIT {
  private static final Duration T = Duration.ofSeconds(60);
  private static final String LONG_CURL = "curl-with-a-long-name";
  private static Sandbox sandbox;
  private static TurnoutProcess turnout;
  private static Path config;

  @BeforeAll
  static void start() throws Exception {
    sandbox = Sandbox.create();
    Path dat = sandbox.file("geosite.dat");
    Files.write(
        dat, concat(list("BANNED", "real.example.test"), list("BLOCKED", "bulk.example.test")));
    Files.copy(
        Path.of("/usr/bin/curl"), sandbox.file(LONG_CURL), StandardCopyOption.COPY_ATTRIBUTES);
    String rules =
        String.join(
            "\n",
            "  - AND,((PROCESS-NAME," + LONG_CURL + "),(DST-PORT,80)),REJECT",
            "  - GEOSITE,banned,REJECT",
            "  - SUB-RULE,(DST-PORT,80),web",
            "  - MATCH,REJECT");
    turnout =
        sandbox.startTurnout(
            Sandbox.config("", rules)
                + "geosite-database: "
                + dat
                + "\nsub-rules:\n  web:\n"
                + "    - GEOSITE,blocked,REJECT\n"
                + "    - DOMAIN,www.example.test,DIRECT\n");
    config = sandbox.file("config-0.yaml");
  }

  @AfterAll
  static void stop() throws Exception {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @Test
  void aSubRuleListSendsOneNameDirectAndRejectsAGeositeName() throws Exception {
    Command.Result ok =
        sandbox.inClient(T, "curl", "-sS", "--fail", "http://www.example.test/index.html");
    assertThat(ok.stdout()).as("%s", ok).isEqualTo("ok\n");
    assertRefused("curl", "http://bulk.example.test/index.html");
    turnout.awaitLog("bulk.example.test:80", Duration.ofSeconds(5));
    assertThat(turnout.log())
        .containsPattern(
            "www\\.example\\.test:80 .*rule DOMAIN,www\\.example\\.test \\[.*SUB-RULE,\\(DST-PORT,80\\),web.*via DIRECT")
        .containsPattern(
            "bulk\\.example\\.test:80 .*rule GEOSITE,blocked \\[.*SUB-RULE.*via REJECT");
  }

  @Test
  void aTopLevelGeositeRuleRejects() throws Exception {
    assertRefused("curl", "http://real.example.test/index.html");
    turnout.awaitLog("real.example.test:80", Duration.ofSeconds(5));
    assertThat(turnout.log())
        .containsPattern(
            "real\\.example\\.test:80 .*rule full:real\\.example\\.test \\[geosite banned: entry 1.*GEOSITE,banned,REJECT.*via REJECT");
  }

  @Test
  void processNameMatchesTheWholeExecutableName() throws Exception {
    assertRefused(sandbox.file(LONG_CURL).toString(), "http://www.example.test/index.html");
    turnout.awaitLog("PROCESS-NAME," + LONG_CURL, Duration.ofSeconds(5));
    assertThat(turnout.log())
        .containsPattern(
            "www\\.example\\.test:80 .*rule AND,\\(\\(PROCESS-NAME," + LONG_CURL + ".*via REJECT");
  }

  @Test
  void explainNamesTheDecidingRule() throws Exception {
    String www = explain("www.example.test:80");
    assertThat(www)
        .contains("policy:  DIRECT")
        .contains("rule:    DOMAIN,www.example.test")
        .containsPattern("via:     SUB-RULE,\\(DST-PORT,80\\),web \\(.*config-0\\.yaml:\\d+\\)");
    String bulk = explain("bulk.example.test:80");
    assertThat(bulk).contains("policy:  REJECT").contains("rule:    GEOSITE,blocked");
    String real = explain("real.example.test");
    assertThat(real)
        .contains("policy:  REJECT")
        .contains("rule:    full:real.example.test")
        .contains("source:  geosite banned: entry 1 (" + sandbox.file("geosite.dat") + ")")
        .containsPattern("via:     GEOSITE,banned,REJECT \\(.*config-0\\.yaml:\\d+\\)");
    assertThat(explain("www.example.test:8080")).contains("rule:    MATCH");
  }

  /** {@code curl} (or a copy) gets nothing from {@code url}: the rules rejected it. */
  private static void assertRefused(String curl, String url) throws Exception {
    Command.Result r = sandbox.inClient(T, curl, "-sS", "--max-time", "5", url);
    assertThat(r.exit()).as("%s", r).isNotZero();
    assertThat(r.stdout()).as("%s", r).doesNotContain("ok");
  }

  private static String explain(String target) throws Exception {
    Command.Result r =
        Sandbox.run(
            T,
            "java",
            "-jar",
            Sandbox.JAR.toString(),
            "explain",
            "-c",
            config.toString(),
            "--no-resolve",
            target);
    assertThat(r.exit()).as("%s", r).isZero();
    return r.stdout();
  }

  /** A GeoSite message (country_code = 1, full-type domains = 2) inside a GeoSiteList entry. */
  private static byte[] list(String code, String... fullDomains) {
    ByteArrayOutputStream site = new ByteArrayOutputStream();
    field(site, 1, code.getBytes(StandardCharsets.UTF_8));
    for (String d : fullDomains) {
      ByteArrayOutputStream domain = new ByteArrayOutputStream();
      domain.write(1 << 3); // type = 3 (Full), a varint field
      domain.write(3);
      field(domain, 2, d.getBytes(StandardCharsets.UTF_8));
      field(site, 2, domain.toByteArray());
    }
    ByteArrayOutputStream entry = new ByteArrayOutputStream();
    field(entry, 1, site.toByteArray());
    return entry.toByteArray();
  }

  private static void field(ByteArrayOutputStream out, int number, byte[] value) {
    out.write(number << 3 | 2);
    for (int n = value.length; ; n >>>= 7) { // the length as a varint
      if (n < 0x80) {
        out.write(n);
        break;
      }
      out.write(n & 0x7f | 0x80);
    }
    out.writeBytes(value);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
