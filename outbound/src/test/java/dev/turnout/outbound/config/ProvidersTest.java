package dev.turnout.outbound.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.YamlMapping;
import dev.turnout.netbase.ManualTimeSource;
import dev.turnout.outbound.Channels;
import dev.turnout.outbound.ConfigProblem;
import dev.turnout.outbound.Entries;
import dev.turnout.outbound.fetch.HttpFetcher;
import dev.turnout.outbound.group.Fakes;
import dev.turnout.outbound.group.Group;
import dev.turnout.outbound.group.HealthCheck;
import dev.turnout.outbound.group.SelectGroup;
import dev.turnout.outbound.group.SelectionStore;
import dev.turnout.outbound.provider.ProviderLoader;
import dev.turnout.outbound.provider.ProxyFilter;
import dev.turnout.outbound.provider.ProxyProviderSpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Groups over proxy providers: use, include-all, filters, refreshes seen whole. */
class ProvidersTest {
  @TempDir Path dir;

  private final ManualTimeSource clock = new ManualTimeSource();
  private final Fakes.Prober prober = new Fakes.Prober();
  private final Fakes.Scheduler scheduler = new Fakes.Scheduler(clock);
  private volatile String served = "";
  private int downloads;

  private final ProviderLoader.Fetch fetch =
      (spec, etag, lastModified) -> {
        downloads++;
        return new HttpFetcher.Response(served.getBytes(StandardCharsets.UTF_8), null, null);
      };

  private ProxyProviderSpec http(String name, HealthCheck check) {
    return new ProxyProviderSpec(
        name,
        ProxyProviderSpec.Type.HTTP,
        URI.create("https://sub.example/" + name),
        null,
        Duration.ofHours(1),
        null,
        Map.of(),
        null,
        check,
        null,
        List.of(),
        "config.yaml",
        30);
  }

  private ProxyProviderSpec inline(String name, String... yaml) {
    List<YamlMapping> payload = Entries.parse("payload", yaml);
    return new ProxyProviderSpec(
        name,
        ProxyProviderSpec.Type.INLINE,
        null,
        null,
        Duration.ZERO,
        null,
        Map.of(),
        ProxyFilter.of(null, null, "http"),
        null,
        null,
        payload,
        "config.yaml",
        40);
  }

  private OutboundConfig.Result load(List<ProxyProviderSpec> providers, String... yaml) {
    return OutboundConfig.load(
        Entries.parse("proxies", yaml),
        Entries.parse("proxy-groups", yaml),
        providers,
        new ProviderLoader(dir.resolve("proxy-providers"), clock),
        Channels.loopbackDialer(),
        new SelectionStore(dir),
        prober,
        scheduler,
        clock,
        null);
  }

  private static String subscription(String... names) {
    StringBuilder s = new StringBuilder("proxies:\n");
    for (String n : names) {
      s.append("  - {name: '")
          .append(n)
          .append("', type: ")
          .append(n.startsWith("hy") ? "hysteria2" : "socks5")
          .append(", server: 192.0.2.1, port: 1080}\n");
    }
    return s.toString();
  }

  private static List<String> messages(OutboundConfig.Result r) {
    return r.problems().stream().map(ConfigProblem::toString).toList();
  }

  @Test
  void groupsTakeProviderProxiesThroughUseIncludeAllAndTheirFilters() {
    HealthCheck check =
        new HealthCheck(
            URI.create("http://198.51.100.2/"),
            Duration.ofSeconds(60),
            Duration.ofSeconds(2),
            false);
    OutboundConfig.Result r =
        load(
            List.of(
                http("sub", check),
                inline(
                    "mine",
                    "payload:",
                    "  - {name: own, type: socks5, server: 192.0.2.8, port: 1080}",
                    "  - {name: web, type: http, server: 192.0.2.8, port: 3128}")),
            "proxies:",
            "  - {name: home, type: socks5, server: 192.0.2.9, port: 1080}",
            "  - {name: HK home, type: socks5, server: 192.0.2.9, port: 1081}",
            "proxy-groups:",
            "  - {name: Proxy, type: select, proxies: [Auto, DIRECT], use: [sub, mine]}",
            "  - {name: Auto, type: url-test, use: [sub]}",
            "  - {name: HK, type: select, include-all: true, filter: HK}",
            "  - {name: Everyone, type: select, include-all-proxies: true}");
    assertThat(messages(r)).singleElement().asString().contains("not downloaded yet");
    Outbounds o = r.outbounds();
    Group proxy = (Group) o.get("Proxy");
    assertThat(proxy.members()).containsExactly("Auto", "DIRECT", "own");
    assertThat(((Group) o.get("Auto")).members()).isEmpty();
    assertThat(((Group) o.get("Auto")).now()).isEqualTo("COMPATIBLE");
    assertThat(((Group) o.get("Everyone")).members()).containsExactly("home", "HK home");

    served = subscription("HK 01", "hy JP", "SG 01");
    assertThat(o.providers().refreshDue(fetch)).isEqualTo(1);
    assertThat(proxy.members()).containsExactly("Auto", "DIRECT", "HK 01", "hy JP", "SG 01", "own");
    assertThat(((Group) o.get("HK")).members()).containsExactly("HK home", "HK 01");
    assertThat(o.global().members()).contains("home", "Proxy", "HK 01", "own");
    Group auto = (Group) o.get("Auto");
    o.start(); // the provider's health check is the group's
    assertThat(prober.probed).containsExactly("HK 01", "SG 01"); // never the hysteria2 one
    assertThat(auto.now()).isIn("HK 01", "SG 01");
    assertThat(o.providers().refreshDue(fetch)).as("fresh: not downloaded again").isZero();
    assertThat(downloads).isEqualTo(1);
    o.close();
  }

  @Test
  void aRefreshReplacesMembersWholeAndSelectKeepsTheChoiceByName() throws Exception {
    served = subscription("a", "b", "c");
    OutboundConfig.Result r =
        load(
            List.of(http("sub", null)),
            "proxy-groups:",
            "  - {name: Pick, type: select, use: [sub]}");
    Outbounds o = r.outbounds();
    o.providers().refreshDue(fetch);
    SelectGroup pick = (SelectGroup) o.get("Pick");
    pick.select("b");
    served = subscription("x", "b", "y", "z");
    clock.advance(Duration.ofHours(2));
    o.providers().refreshDue(fetch);
    assertThat(pick.members()).containsExactly("x", "b", "y", "z");
    assertThat(pick.now()).isEqualTo("b");
    served = subscription("x", "y");
    assertThat(o.providers().refresh("sub", fetch)).isTrue();
    assertThat(pick.now()).isEqualTo("x");
    served = subscription("b", "y");
    o.providers().refresh("sub", fetch);
    assertThat(pick.now()).as("the choice comes back with its member").isEqualTo("b");

    // Readers during refreshes see one list or the other, never a mix.
    List<String> one = List.of("p1", "p2", "p3");
    List<String> two = List.of("q1", "q2");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> readers = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        readers.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 20_000; i++) {
                    List<String> seen = pick.members();
                    if (!seen.equals(one) && !seen.equals(two) && !seen.equals(List.of("b", "y"))) {
                      throw new AssertionError(seen);
                    }
                  }
                }));
      }
      for (int i = 0; i < 200; i++) {
        served = subscription((i % 2 == 0 ? one : two).toArray(String[]::new));
        o.providers().refresh("sub", fetch);
      }
      for (Future<?> f : readers) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void providerProblemsAreWarningsAndNamesAreChecked() {
    served =
        "proxies:\n"
            + "  - {name: ok, type: socks5, server: 192.0.2.1, port: 1080}\n"
            + "  - {name: ok, type: socks5, server: 192.0.2.2, port: 1080}\n"
            + "  - {name: bad, type: socks5, server: 192.0.2.3, port: 99999}\n";
    OutboundConfig.Result r =
        load(
            List.of(http("sub", null)),
            "proxy-groups:",
            "  - {name: G, type: select, use: [sub, nosuch]}",
            "  - {name: E, type: select}",
            "  - {name: F, type: select, use: [sub], filter: '(oops'}");
    assertThat(messages(r))
        .contains(
            "proxy-group \"G\": field \"use\": no proxy provider named \"nosuch\"",
            "proxy-group \"E\": field \"proxies\": a group needs members: proxies, use or"
                + " include-all")
        .anyMatch(m -> m.startsWith("proxy-group \"F\": field \"filter\": not a valid regular"));
    Outbounds o = r.outbounds();
    o.providers().refresh("sub", fetch);
    assertThat(o.providers().get("sub").proxies()).extracting(p -> p.name()).containsExactly("ok");
  }
}
