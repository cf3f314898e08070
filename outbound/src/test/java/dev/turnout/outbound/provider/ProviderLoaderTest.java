package dev.turnout.outbound.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.netbase.ManualTimeSource;
import dev.turnout.outbound.fetch.HttpFetcher;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kept copies, downloads and their failures, with a fetch the test answers. */
class ProviderLoaderTest {
  @TempDir Path dir;

  private final ManualTimeSource clock = new ManualTimeSource();
  private final List<String> asked = new ArrayList<>();
  private HttpFetcher.Response next;
  private IOException failure;

  private static final String YAML =
      "proxies:\n"
          + "  - {name: HK 01, type: socks5, server: 192.0.2.1, port: 1080}\n"
          + "  - {name: HK expire, type: socks5, server: 192.0.2.2, port: 1080}\n"
          + "  - {name: JP 01, type: hysteria2, server: 192.0.2.3, port: 443, password: x}\n";

  private final ProviderLoader.Fetch fetch =
      (spec, etag, lastModified) -> {
        asked.add(spec.url() + " " + etag);
        if (failure != null) {
          throw failure;
        }
        return next;
      };

  private ProxyProviderSpec http(ProxyFilter filter, Duration interval) {
    return new ProxyProviderSpec(
        "sub",
        ProxyProviderSpec.Type.HTTP,
        URI.create("https://sub.example/clash"),
        null,
        interval,
        null,
        Map.of(),
        filter,
        null,
        new ProxyOverride(Map.of(), "", " [sub]", List.of()),
        List.of(),
        "config.yaml",
        12);
  }

  private ProviderLoader loader() {
    return new ProviderLoader(dir.resolve("state/proxy-providers"), clock);
  }

  private static List<String> names(ProviderLoader.Content c) {
    return c.entries().stream().map(e -> e.text("name").orElse("")).toList();
  }

  @Test
  void withoutACopyReadingFindsNothingAndWritesNothing() {
    ProviderLoader.Content c = loader().read(http(ProxyFilter.ALL, Duration.ZERO));
    assertThat(c.available()).isFalse();
    assertThat(c.entries()).isEmpty();
    assertThat(c.problems())
        .singleElement()
        .asString()
        .startsWith("config.yaml:12: warning: proxy-providers.sub: not checked: not downloaded");
    assertThat(dir.resolve("state")).doesNotExist();
    assertThat(loader().stale(http(ProxyFilter.ALL, Duration.ZERO))).isTrue();
  }

  @Test
  void aDownloadIsFilteredRenamedAndKeptPrivately() throws Exception {
    ProxyProviderSpec spec = http(ProxyFilter.of(null, "expire", null), Duration.ofHours(1));
    next = new HttpFetcher.Response(YAML.getBytes(StandardCharsets.UTF_8), "\"e1\"", null);
    ProviderLoader.Content c = loader().download(spec, fetch);
    assertThat(names(c)).containsExactly("HK 01 [sub]", "JP 01 [sub]");
    assertThat(c.origin()).isEqualTo("download (Clash YAML)");
    Path copy = loader().copyOf(spec);
    assertThat(Files.readString(copy)).isEqualTo(YAML);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy.getParent())))
        .isEqualTo("rwx------");
    try (var files = Files.list(copy.getParent())) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("sub.body", "sub.meta");
    }

    ProviderLoader.Content again = loader().read(spec);
    assertThat(names(again)).containsExactly("HK 01 [sub]", "JP 01 [sub]");
    assertThat(again.origin()).startsWith("copy of ");
    assertThat(loader().stale(spec)).isFalse();
    clock.advance(Duration.ofHours(1));
    assertThat(loader().stale(spec)).isTrue();

    next = null; // 304 Not Modified: the copy is current again
    assertThat(names(loader().download(spec, fetch))).hasSize(2);
    assertThat(asked).containsExactly(spec.url() + " null", spec.url() + " \"e1\"");
    assertThat(loader().stale(spec)).isFalse();
  }

  @Test
  void aWallClockSetBackOrForwardNeitherStopsRefreshesNorRepeatsThem() throws Exception {
    ProxyProviderSpec spec = http(ProxyFilter.ALL, Duration.ofHours(1));
    next = new HttpFetcher.Response(YAML.getBytes(StandardCharsets.UTF_8), null, null);
    loader().download(spec, fetch);
    assertThat(loader().stale(spec)).isFalse();

    clock.setWall(clock.instant().minus(Duration.ofDays(365)));
    assertThat(loader().stale(spec)).as("set back a year: refreshed now, not in a year").isTrue();
    loader().download(spec, fetch);
    assertThat(loader().stale(spec)).as("once: the interval counts from the new time").isFalse();
    clock.advance(Duration.ofMinutes(59));
    assertThat(loader().stale(spec)).isFalse();
    clock.advance(Duration.ofMinutes(1));
    assertThat(loader().stale(spec)).isTrue();
    loader().download(spec, fetch);

    clock.setWall(clock.instant().plus(Duration.ofDays(3)));
    assertThat(loader().stale(spec)).as("set forward: due at once").isTrue();
    loader().download(spec, fetch);
    assertThat(loader().stale(spec)).as("and then not before the interval").isFalse();
    assertThat(asked).hasSize(4);
  }

  @Test
  void aFailedOrUnreadableDownloadLeavesTheCopyAsItWas() throws Exception {
    ProxyProviderSpec spec = http(ProxyFilter.ALL, Duration.ofHours(1));
    next = new HttpFetcher.Response(YAML.getBytes(StandardCharsets.UTF_8), null, null);
    loader().download(spec, fetch);
    failure = new IOException("connection refused");
    assertThatThrownBy(() -> loader().download(spec, fetch)).hasMessage("connection refused");
    failure = null;
    next = new HttpFetcher.Response("<html>quota exceeded</html>".getBytes(), null, null);
    assertThatThrownBy(() -> loader().download(spec, fetch))
        .hasMessageStartingWith("neither a Clash YAML proxies: list");
    assertThat(Files.readString(loader().copyOf(spec))).isEqualTo(YAML);
    assertThat(names(loader().read(spec))).hasSize(3);
  }

  @Test
  void aCopyOfAnotherUrlIsNotUsed() throws Exception {
    next = new HttpFetcher.Response(YAML.getBytes(StandardCharsets.UTF_8), null, null);
    loader().download(http(ProxyFilter.ALL, Duration.ZERO), fetch);
    ProxyProviderSpec moved =
        new ProxyProviderSpec(
            "sub",
            ProxyProviderSpec.Type.HTTP,
            URI.create("https://other.example/clash"),
            null,
            Duration.ZERO,
            null,
            Map.of(),
            null,
            null,
            null,
            List.of(),
            "config.yaml",
            12);
    assertThat(loader().read(moved).available()).isFalse();
  }

  @Test
  void fileProvidersAreReadFromTheirPath() throws Exception {
    Path file = dir.resolve("local.txt");
    Files.writeString(file, "trojan://pw@192.0.2.9:443#local\n");
    ProxyProviderSpec spec =
        new ProxyProviderSpec(
            "local",
            ProxyProviderSpec.Type.FILE,
            null,
            file,
            Duration.ZERO,
            null,
            Map.of(),
            null,
            null,
            null,
            List.of(),
            "config.yaml",
            20);
    assertThat(names(loader().read(spec))).containsExactly("local");
    assertThat(loader().stale(spec)).isFalse();
    Files.delete(file);
    ProviderLoader.Content gone = loader().read(spec);
    assertThat(gone.available()).isFalse();
    assertThat(gone.problems()).singleElement().asString().contains("cannot read");
  }
}
