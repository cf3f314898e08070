package dev.turnout.rules;

import static dev.turnout.rules.Fixtures.host;
import static dev.turnout.rules.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.ManualTimeSource;
import dev.turnout.netbase.TimeSource;
import dev.turnout.rules.ProviderSpec.Behavior;
import dev.turnout.rules.ProviderSpec.Format;
import dev.turnout.rules.ProviderSpec.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProviderTest {
  @TempDir Path dir;

  private final ManualTimeSource clock = new ManualTimeSource();

  private ProviderSpec file(String name, Behavior b, Format f, String content) throws Exception {
    Path p = dir.resolve(name + (f == Format.YAML ? ".yaml" : ".txt"));
    Files.writeString(p, content);
    return new ProviderSpec(name, Type.FILE, b, f, p, null, Duration.ZERO, "config.yaml", 3);
  }

  private ProviderSpec http(ListServer s, Behavior b, Format f, Duration interval) {
    return new ProviderSpec("remote", Type.HTTP, b, f, null, s.url(), interval, "config.yaml", 5);
  }

  /** A text list of domains at {@code s}, downloaded through {@code proxy} (null: DIRECT). */
  private static ProviderSpec remoteVia(
      ListServer s, String name, Path path, String proxy, long sizeLimit) {
    return new ProviderSpec(
        name,
        Type.HTTP,
        Behavior.DOMAIN,
        Format.TEXT,
        path,
        s.url(),
        Duration.ZERO,
        "config.yaml",
        5,
        List.of(),
        proxy,
        sizeLimit);
  }

  private RuleEngine engine(List<ProviderSpec> specs, String... rules) throws RuleException {
    return RuleEngine.builder()
        .rules(Fixtures.lines(rules))
        .providers(specs)
        .policies(Fixtures.POLICIES)
        .options(new RulesOptions(null, null, dir.resolve("cache"), List.of()))
        .resolver(new Fixtures.RecordingResolver().answer("a.com", "10.0.0.1"))
        .clock(clock)
        .build();
  }

  @Test
  void domainYamlProviderWithAllPatternForms() throws Exception {
    ProviderSpec ads =
        file(
            "ads",
            Behavior.DOMAIN,
            Format.YAML,
            "# ads\npayload:\n  - '+.doubleclick.net'\n  - exact.com\n  - '.sub.com'\n"
                + "  - '*.one.com'\n  - 'x.*.mid.com'\n");
    RuleEngine e = engine(List.of(ads), "DOMAIN,safe.exact.com,P1", "RULE-SET,ads,REJECT");
    assertThat(e.decide(host("doubleclick.net")).policy()).isEqualTo("REJECT");
    assertThat(e.decide(host("ad.g.doubleclick.net")).policy()).isEqualTo("REJECT");
    assertThat(e.decide(host("exact.com")).policy()).isEqualTo("REJECT");
    assertThat(e.decide(host("a.exact.com")).fallback()).isTrue();
    assertThat(e.decide(host("sub.com")).fallback()).isTrue();
    assertThat(e.decide(host("a.b.sub.com")).policy()).isEqualTo("REJECT");
    assertThat(e.decide(host("a.one.com")).policy()).isEqualTo("REJECT");
    assertThat(e.decide(host("a.b.one.com")).fallback()).isTrue();
    assertThat(e.decide(host("one.com")).fallback()).isTrue();
    assertThat(e.decide(host("x.y.mid.com")).policy()).isEqualTo("REJECT");
    Decision d = e.decide(host("ad.doubleclick.net"));
    assertThat(d.rule()).isEqualTo("+.doubleclick.net");
    assertThat(d.source()).isEqualTo("provider ads: entry 1 (" + dir.resolve("ads.yaml") + ":3)");
    assertThat(d.ruleSet()).isEqualTo("RULE-SET,ads,REJECT (config.yaml:11)");
  }

  /**
   * A name matching several entries of one set reports the first of them, whether the index holds
   * the entries inline in their slots (short names, one mode) or in records (long names, several
   * modes), and in whichever order the hash placed them.
   */
  @Test
  void theFirstMatchingEntryOfASetIsTheOneReported() throws Exception {
    // short names in one mode are held inline; this one, long and in two modes, in a record
    String longName = "a-name-too-long-to-sit-in-its-slot.www.example.com";
    ProviderSpec set =
        file(
            "set",
            Behavior.DOMAIN,
            Format.TEXT,
            "+.example.com\n+.www.example.com\n+." + longName + "\n" + longName + "\n");
    RuleEngine e = engine(List.of(set), "RULE-SET,set,P1", "MATCH,P2");
    assertThat(e.decide(host("www.example.com")).rule()).isEqualTo("+.example.com");
    assertThat(e.decide(host(longName)).rule()).isEqualTo("+.example.com");
    assertThat(e.decide(host("x." + longName)).source()).endsWith("set.txt:1)");
    ProviderSpec reversed =
        file(
            "reversed",
            Behavior.DOMAIN,
            Format.TEXT,
            "+." + longName + "\n" + longName + "\n+.www.example.com\n+.example.com\n");
    RuleEngine r = engine(List.of(reversed), "RULE-SET,reversed,P1", "MATCH,P2");
    assertThat(r.decide(host(longName)).rule()).isEqualTo("+." + longName);
    assertThat(r.decide(host("x." + longName)).source()).endsWith("reversed.txt:1)");
    assertThat(r.decide(host("www.example.com")).rule()).isEqualTo("+.www.example.com");
    assertThat(r.decide(host("a.www.example.com")).source()).endsWith("reversed.txt:3)");
    assertThat(r.decide(host("example.com")).rule()).isEqualTo("+.example.com");
  }

  @Test
  void ipcidrTextProviderResolvesUnlessNoResolve() throws Exception {
    ProviderSpec ips =
        file("ips", Behavior.IPCIDR, Format.TEXT, "# private\n10.0.0.0/8\n\n2001:db8::/32\n");
    RuleEngine e = engine(List.of(ips), "RULE-SET,ips,P1,no-resolve", "MATCH,P2");
    assertThat(e.decide(host("a.com")).policy()).isEqualTo("P2");
    assertThat(e.decide(tcp("10.1.1.1", 1)).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("10.1.1.1", 1)).source()).endsWith("ips.txt:2)");
    RuleEngine f = engine(List.of(ips), "RULE-SET,ips,P1", "MATCH,P2");
    assertThat(f.decide(host("a.com")).policy()).isEqualTo("P1");
    assertThat(f.decide(tcp("2001:db8::5", 1)).policy()).isEqualTo("P1");
  }

  @Test
  void anIpcidrProviderGivesItsCidrsTheSameListUntilARefreshChangesThem() throws Exception {
    ProviderSpec ips =
        file("ips", Behavior.IPCIDR, Format.TEXT, "# lists\n203.0.113.7/24\n\n2001:db8::/32\n");
    ProviderSpec names = file("names", Behavior.DOMAIN, Format.TEXT, "a.com\n");
    ProviderSpec timed =
        new ProviderSpec(
            "ips",
            Type.FILE,
            Behavior.IPCIDR,
            Format.TEXT,
            ips.path(),
            null,
            Duration.ofMinutes(5),
            "config.yaml",
            3);
    RuleEngine e = engine(List.of(timed, names), "RULE-SET,ips,P1", "RULE-SET,names,P2");
    List<Cidr> first = e.cidrs("ips");
    assertThat(first) // host bits cleared, as the rules clear them
        .containsExactly(Cidr.parseStrict("203.0.113.0/24"), Cidr.parseStrict("2001:db8::/32"));
    assertThat(e.cidrs("ips")).isSameAs(first);
    assertThat(e.cidrs("names")).as("domains, not addresses").isNull();
    assertThat(e.cidrs("missing")).isNull();
    Files.writeString(ips.path(), "198.51.100.0/24\n");
    clock.advance(Duration.ofMinutes(5));
    assertThat(e.refreshDue()).isEqualTo(1);
    assertThat(e.cidrs("ips")).containsExactly(Cidr.parseStrict("198.51.100.0/24"));
  }

  @Test
  void classicalProviderMixesIndexedAndOrderedEntries() throws Exception {
    ProviderSpec mixed =
        file(
            "mixed",
            Behavior.CLASSICAL,
            Format.YAML,
            "payload:\n  - DOMAIN-SUFFIX,google.com\n  - DST-PORT,22\n"
                + "  - IP-CIDR,10.0.0.0/8,no-resolve\n  - AND,((NETWORK,udp),(DST-PORT,443))\n");
    RuleEngine e = engine(List.of(mixed), "DOMAIN,b.com,P3", "RULE-SET,mixed,P1", "MATCH,P2");
    assertThat(e.decide(tcp("www.google.com", 80)).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("b.com", 22)).policy()).isEqualTo("P3");
    assertThat(e.decide(tcp("c.com", 22)).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("10.2.3.4", 80)).policy()).isEqualTo("P1");
    assertThat(e.decide(host("a.com")).policy()).isEqualTo("P2"); // no-resolve entry
    ConnectionInfo quic =
        ConnectionInfo.builder(Network.UDP).host("q.com").destination(null, 443).build();
    assertThat(e.decide(quic).policy()).isEqualTo("P1");
  }

  @Test
  void ruleSetInsideLogic() throws Exception {
    ProviderSpec ads = file("ads", Behavior.DOMAIN, Format.TEXT, "+.ads.com\n");
    RuleEngine e = engine(List.of(ads), "AND,((RULE-SET,ads),(DST-PORT,443)),P1", "MATCH,P2");
    assertThat(e.decide(tcp("x.ads.com", 443)).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("x.ads.com", 80)).policy()).isEqualTo("P2");
  }

  @Test
  void badEntriesAreSkippedWithCountedWarningsCarryingProviderEntryAndLine() throws Exception {
    ProviderSpec bad =
        file("bad", Behavior.CLASSICAL, Format.TEXT, "DOMAIN,ok.com\nDOMAIN,a.com,Proxy\nFOO,x\n");
    RuleEngine e = engine(List.of(bad), "RULE-SET,bad,P1");
    assertThat(e.decide(host("ok.com")).policy()).isEqualTo("P1");
    List<RuleException.Problem> w = e.warnings();
    assertThat(w).hasSize(3);
    assertThat(w.get(0).where())
        .isEqualTo("provider bad: entry 2 (" + dir.resolve("bad.txt") + ":2)");
    assertThat(w.get(0).message()).startsWith("unexpected field 'Proxy'");
    assertThat(w.get(1).message()).isEqualTo("unknown rule type 'FOO'");
    assertThat(w.get(2).where()).isEqualTo("provider bad (config.yaml:3)");
    assertThat(w.get(2).message()).isEqualTo("2 of 3 entries skipped");
  }

  @Test
  void aListWithNoUsableEntryIsAnError() throws Exception {
    ProviderSpec ips = file("ips", Behavior.IPCIDR, Format.YAML, "payload:\n  - 300.0.0.0/8\n");
    assertThatThrownBy(() -> engine(List.of(ips), "RULE-SET,ips,P1"))
        .isInstanceOf(RuleException.class)
        .satisfies(
            ex -> {
              List<RuleException.Problem> p = ((RuleException) ex).problems();
              assertThat(p).hasSize(2);
              assertThat(p.get(0).where()).endsWith("ips.yaml:2)");
              assertThat(p.get(1).message()).startsWith("none of its 1 entries can be used");
            });
  }

  @Test
  void yamlPayloadProblemsCarryTheirFileAndLine() throws Exception {
    ProviderSpec ads =
        file(
            "ads",
            Behavior.DOMAIN,
            Format.YAML,
            "payload:\n  - NO.example\n  - {not: a string}\n  - 'bad domain'\n");
    assertThatThrownBy(() -> engine(List.of(ads), "RULE-SET,ads,P1"))
        .isInstanceOf(RuleException.class)
        .satisfies(
            ex -> {
              List<RuleException.Problem> p = ((RuleException) ex).problems();
              String file = dir.resolve("ads.yaml").toString();
              assertThat(p)
                  .extracting(x -> x.file() + ":" + x.line() + " " + x.subject())
                  .containsExactly(file + ":3 null");
              assertThat(p.get(0).where()).isEqualTo(file + ":3");
              assertThat(p.get(0).message()).isEqualTo("a payload entry must be a string");
            });
    ProviderSpec skipped =
        file("skip", Behavior.DOMAIN, Format.YAML, "payload:\n  - NO.example\n  - 'bad domain'\n");
    RuleEngine e = engine(List.of(skipped), "RULE-SET,skip,P1");
    String file = dir.resolve("skip.yaml").toString();
    assertThat(e.warnings().get(0).where()).isEqualTo("provider skip: entry 2 (" + file + ":3)");
    assertThat(e.decide(host("no.example")).policy()).isEqualTo("P1");
  }

  @Test
  void missingFileIsAnError() {
    ProviderSpec spec =
        new ProviderSpec(
            "gone",
            Type.FILE,
            Behavior.DOMAIN,
            Format.TEXT,
            dir.resolve("gone.txt"),
            null,
            Duration.ZERO,
            "config.yaml",
            7);
    assertThatThrownBy(() -> engine(List.of(spec), "RULE-SET,gone,P1"))
        .isInstanceOf(RuleException.class)
        .hasMessageStartingWith("provider gone (config.yaml:7): cannot read");
  }

  @Test
  void httpProviderDownloadsCachesAndRefreshesConditionally() throws Exception {
    try (ListServer server = new ListServer()) {
      server.body = "payload:\n  - '+.one.com'\n";
      ProviderSpec spec = http(server, Behavior.DOMAIN, Format.YAML, Duration.ofHours(1));
      RuleEngine e = engine(List.of(spec), "RULE-SET,remote,P1", "MATCH,P2");
      assertThat(e.decide(host("a.one.com")).policy()).isEqualTo("P1");
      assertThat(Files.readString(dir.resolve("cache/remote.yaml"))).isEqualTo(server.body);
      assertThat(server.ifNoneMatch).containsExactly("null");

      clock.advance(Duration.ofMinutes(59));
      assertThat(e.refreshDue()).isZero();
      assertThat(server.requests()).isEqualTo(1);

      clock.advance(Duration.ofMinutes(2));
      assertThat(e.refreshDue()).isZero(); // 304
      assertThat(server.ifNoneMatch).containsExactly("null", "\"v1\"");

      Decision before = e.decide(host("a.one.com"));
      server.body = "payload:\n  - '+.two.com'\n";
      server.etag = "\"v2\"";
      clock.advance(Duration.ofHours(1));
      assertThat(e.refreshDue()).isEqualTo(1);
      assertThat(e.decide(host("a.two.com")).policy()).isEqualTo("P1");
      assertThat(e.decide(host("a.one.com")).policy()).isEqualTo("P2");
      assertThat(before.policy()).isEqualTo("P1"); // decisions already made are values
      assertThat(Files.readString(dir.resolve("cache/remote.yaml.meta"))).contains("v2");

      server.status = 500;
      clock.advance(Duration.ofHours(1));
      assertThat(e.refreshDue()).isZero();
      assertThat(e.decide(host("a.two.com")).policy()).isEqualTo("P1");

      server.status = 200;
      server.body = "payload:\n  - 'bad domain'\n";
      server.etag = "\"v3\"";
      assertThat(e.refresh("remote")).isFalse(); // a bad list never replaces a good one
      assertThat(e.decide(host("a.two.com")).policy()).isEqualTo("P1");
      assertThat(Files.readString(dir.resolve("cache/remote.yaml"))).contains("two.com");
    }
  }

  @Test
  void freshCacheIsUsedWithoutDownloadingAndStaleCacheWhenDownloadFails() throws Exception {
    ProviderSpec spec;
    try (ListServer server = new ListServer()) {
      server.body = "+.cached.com\n";
      spec = http(server, Behavior.DOMAIN, Format.TEXT, Duration.ofHours(1));
      engine(List.of(spec), "RULE-SET,remote,P1");
      assertThat(server.requests()).isEqualTo(1);
      engine(List.of(spec), "RULE-SET,remote,P1"); // fresh: no request
      assertThat(server.requests()).isEqualTo(1);
    }
    clock.advance(Duration.ofDays(2)); // stale, and the server is gone
    RuleEngine e = engine(List.of(spec), "RULE-SET,remote,P1");
    assertThat(e.decide(host("x.cached.com")).policy()).isEqualTo("P1");
  }

  @Test
  void httpProviderFailingAtStartWithoutCacheIsAnError() throws Exception {
    try (ListServer server = new ListServer()) {
      server.status = 404;
      ProviderSpec spec = http(server, Behavior.DOMAIN, Format.TEXT, Duration.ZERO);
      assertThatThrownBy(() -> engine(List.of(spec), "RULE-SET,remote,P1"))
          .isInstanceOf(RuleException.class)
          .hasMessageContaining("provider remote (config.yaml:5): download failed (HTTP 404");
    }
  }

  /** A domain file provider re-read every 5 minutes. */
  private ProviderSpec rereadEveryFiveMinutes(String name, String content) throws Exception {
    ProviderSpec f = file(name, Behavior.DOMAIN, Format.TEXT, content);
    return new ProviderSpec(
        name,
        Type.FILE,
        Behavior.DOMAIN,
        Format.TEXT,
        f.path(),
        null,
        Duration.ofMinutes(5),
        "config.yaml",
        3);
  }

  @Test
  void fileProviderWithIntervalIsReread() throws Exception {
    ProviderSpec spec = rereadEveryFiveMinutes("local", "a.com\n");
    RuleEngine e = engine(List.of(spec), "RULE-SET,local,P1");
    Files.writeString(spec.path(), "b.com\n");
    assertThat(e.refreshDue()).isZero();
    clock.advance(Duration.ofMinutes(5));
    assertThat(e.refreshDue()).isEqualTo(1);
    assertThat(e.decide(host("b.com")).policy()).isEqualTo("P1");
    assertThat(e.providerSizes()).containsEntry("local", 1);
  }

  @Test
  void aWallClockSetBackDoesNotPostponeRefreshes() throws Exception {
    ProviderSpec spec = rereadEveryFiveMinutes("jump", "a.com\n");
    JumpingClock jumping = new JumpingClock(clock.instant());
    RuleEngine e =
        RuleEngine.builder()
            .rules(Fixtures.lines("RULE-SET,jump,P1"))
            .providers(List.of(spec))
            .policies(Fixtures.POLICIES)
            .clock(jumping)
            .build();
    jumping.wall = jumping.wall.minus(Duration.ofDays(365)); // the clock is set back a year
    Files.writeString(spec.path(), "b.com\n");
    assertThat(e.refreshDue()).as("refreshed, not in a year").isEqualTo(1);
    assertThat(e.decide(host("b.com")).policy()).isEqualTo("P1");
    assertThat(e.refreshDue()).as("and then every interval from the new time").isZero();
    jumping.wall = jumping.wall.plus(Duration.ofMinutes(5));
    Files.writeString(spec.path(), "c.com\n");
    assertThat(e.refreshDue()).isEqualTo(1);
  }

  /** A wall clock that tests set anywhere, backwards included. */
  private static final class JumpingClock implements TimeSource {
    volatile Instant wall;

    JumpingClock(Instant wall) {
      this.wall = wall;
    }

    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public Instant instant() {
      return wall;
    }
  }

  @Test
  void decisionsDuringRefreshSeeOneConsistentTable() throws Exception {
    ProviderSpec f = file("flip", Behavior.DOMAIN, Format.TEXT, "+.x.com\n");
    RuleEngine e = engine(List.of(f), "RULE-SET,flip,P1", "DOMAIN-SUFFIX,x.com,P2");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 20_000; i++) {
                    String p = e.decide(host("a.x.com")).policy();
                    if (!p.equals("P1") && !p.equals("P2")) {
                      throw new AssertionError(p);
                    }
                  }
                }));
      }
      for (int i = 0; i < 20; i++) {
        Files.writeString(f.path(), i % 2 == 0 ? "+.y.com\n" : "+.x.com\n");
        e.refresh("flip");
      }
      for (Future<?> fu : futures) {
        fu.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aListWithoutAPayloadHeadIsReadAsTextWhateverItsFormatSays() throws Exception {
    // ACL4SSR's .list files, referenced without format: (YAML by default)
    ProviderSpec acl =
        file(
            "acl",
            Behavior.CLASSICAL,
            Format.YAML,
            "# ACL4SSR\nDOMAIN-SUFFIX,ads.example\nIP-CIDR,192.0.2.0/24,no-resolve\n");
    // Loyalsoldier's YAML lists, named .txt and written with format: text
    Path loyal = dir.resolve("reject.txt");
    Files.writeString(loyal, "payload:\n  - '+.tracker.example'\n");
    ProviderSpec yamlNamedTxt =
        new ProviderSpec(
            "loyal", Type.FILE, Behavior.DOMAIN, Format.YAML, loyal, null, Duration.ZERO, "c", 1);
    RuleEngine e = engine(List.of(acl, yamlNamedTxt), "RULE-SET,acl,P1", "RULE-SET,loyal,P2");
    assertThat(e.decide(host("x.ads.example")).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("192.0.2.9", 80)).policy()).isEqualTo("P1");
    assertThat(e.decide(host("a.tracker.example")).policy()).isEqualTo("P2");
    assertThat(e.warnings()).isEmpty();
  }

  @Test
  void theProxyOfAProviderGoesToTheFetcherAndItsSizeLimitIsKept() throws Exception {
    try (ListServer server = new ListServer()) {
      server.body = "+.one.com\n+.two.com\n";
      ProviderSpec via = remoteVia(server, "remote", null, "Proxy", 0);
      List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
      ListFetcher direct = ListFetcher.using(java.net.http.HttpClient.newHttpClient());
      RuleEngine e =
          RuleEngine.builder()
              .rules(Fixtures.lines("RULE-SET,remote,P1", "MATCH,P2"))
              .providers(List.of(via))
              .policies(Fixtures.POLICIES)
              .options(new RulesOptions(null, null, dir.resolve("cache"), List.of()))
              .fetcher(
                  (url, proxy, etag, lastModified) -> {
                    asked.add(proxy); // the launcher's fetcher dials through it
                    return direct.fetch(url, null, etag, lastModified);
                  })
              .clock(clock)
              .build();
      assertThat(asked).containsExactly("Proxy");
      assertThat(e.decide(host("a.one.com")).policy()).isEqualTo("P1");

      ProviderSpec uncached = remoteVia(server, "fresh", null, "Proxy", 0);
      assertThatThrownBy(() -> engine(List.of(uncached), "RULE-SET,fresh,P1"))
          .as("a fetcher that knows no proxies refuses rather than download directly")
          .hasMessageContaining("cannot download through Proxy here, only DIRECT");
      ProviderSpec small = remoteVia(server, "remote", dir.resolve("small.txt"), "DIRECT", 10);
      assertThat(small.proxy()).as("DIRECT is no proxy").isNull();
      assertThatThrownBy(() -> engine(List.of(small), "RULE-SET,remote,P1"))
          .hasMessageContaining("20 bytes, over its size-limit of 10");
    }
  }

  @Test
  void offlineEnginesNeitherDownloadNorWrite() throws Exception {
    try (ListServer server = new ListServer()) {
      server.body = "+.one.com\n";
      ProviderSpec spec = http(server, Behavior.DOMAIN, Format.TEXT, Duration.ofHours(1));
      RuleEngine offline =
          RuleEngine.builder()
              .rules(Fixtures.lines("RULE-SET,remote,P1", "MATCH,P2"))
              .providers(List.of(spec))
              .policies(Fixtures.POLICIES)
              .options(new RulesOptions(null, null, dir.resolve("cache"), List.of()))
              .clock(clock)
              .offline()
              .build();
      assertThat(server.requests()).isZero();
      assertThat(Files.exists(dir.resolve("cache"))).isFalse();
      assertThat(offline.decide(host("a.one.com")).policy()).isEqualTo("P2");
      assertThat(offline.notDownloaded()).containsExactly("remote");
      assertThat(offline.warnings())
          .singleElement()
          .asString()
          .startsWith("provider remote (config.yaml:5): not checked: not downloaded yet");

      engine(List.of(spec), "RULE-SET,remote,P1"); // a real start keeps a copy
      assertThat(server.requests()).isEqualTo(1);
      clock.advance(Duration.ofDays(3)); // stale: an online engine would download again
      RuleEngine cached =
          RuleEngine.builder()
              .rules(Fixtures.lines("RULE-SET,remote,P1"))
              .providers(List.of(spec))
              .policies(Fixtures.POLICIES)
              .options(new RulesOptions(null, null, dir.resolve("cache"), List.of()))
              .clock(clock)
              .offline()
              .build();
      assertThat(cached.decide(host("a.one.com")).policy()).isEqualTo("P1");
      assertThat(cached.warnings()).isEmpty();
      assertThat(cached.notDownloaded()).isEmpty();
      assertThat(server.requests()).isEqualTo(1);
    }
  }
}
