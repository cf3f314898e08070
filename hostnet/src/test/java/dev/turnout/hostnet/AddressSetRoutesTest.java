package dev.turnout.hostnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.netbase.Cidr;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AddressSetRoutesTest {
  @TempDir Path dir;
  final RecordingCommands host = new RecordingCommands();

  private static List<Cidr> cidrs(String... texts) {
    return java.util.Arrays.stream(texts).map(Cidr::parseStrict).toList();
  }

  /** How {@link RecordingCommands} logs the batch command, before the lines of its file. */
  private String batch() {
    return "ip -force -batch " + dir.resolve("routes.batch");
  }

  private AddressSetRoutes defaultRouted(boolean ipv6) {
    return AutoRoute.builder("tnt0").ipv6(ipv6).build().addressSetRoutes();
  }

  @Test
  void excludedCidrsBecomeThrowRoutesInOneBatchAndStopFlushesThem() throws IOException {
    HostChanges changes = HostChanges.open(dir, host);
    AddressSetRoutes routes = defaultRouted(false);

    AddressSetRoutes.Counts counts =
        routes.sync(
            changes, List.of(), cidrs("203.0.113.0/24", "198.51.100.0/25", "2001:db8::/32"));

    assertThat(counts).isEqualTo(new AddressSetRoutes.Counts(0, 2, 2));
    assertThat(host.log)
        .containsExactly(
            batch(),
            "  route replace throw 203.0.113.0/24 table 2022 proto 122",
            "  route replace throw 198.51.100.0/25 table 2022 proto 122");
    assertThat(dir.resolve("routes.batch")).doesNotExist();
    assertThat(Journal.read(dir.resolve("journal")))
        .containsExactly(new Change.RouteSet("2022", "122"));
    host.log.clear();

    changes.close();

    assertThat(host.log)
        .containsExactly(
            "ip -4 route flush table 2022 proto 122", "ip -6 route flush table 2022 proto 122");
  }

  @Test
  void aSyncSendsOnlyTheDifferenceAndNothingWhenNothingChanged() throws IOException {
    HostChanges changes = HostChanges.open(dir, host);
    AddressSetRoutes routes = defaultRouted(true);
    routes.sync(changes, List.of(), cidrs("203.0.113.0/24", "2001:db8::/32"));
    host.log.clear();

    routes.sync(changes, List.of(), cidrs("2001:db8::/32", "198.51.100.0/24"));
    routes.sync(changes, List.of(), cidrs("2001:db8::/32", "198.51.100.0/24"));

    assertThat(host.log)
        .containsExactly(
            batch(),
            "  route del throw 203.0.113.0/24 table 2022 proto 122",
            "  route replace throw 198.51.100.0/24 table 2022 proto 122");
    changes.close();
  }

  @Test
  void anExclusionWinsOverARoutedCidrInsideItAndAutoRoutesOwnRoutesAreNeverReplaced()
      throws IOException {
    HostChanges changes = HostChanges.open(dir, host);
    AddressSetRoutes routes =
        AutoRoute.builder("tnt0").routeAddress("198.51.100.0/24").build().addressSetRoutes();

    AddressSetRoutes.Counts counts =
        routes.sync(
            changes,
            cidrs("203.0.113.0/24", "203.0.113.128/25", "198.51.100.0/24", "192.0.2.0/24"),
            cidrs("203.0.113.0/24", "198.51.100.0/24"));

    assertThat(host.log)
        .containsExactly(
            batch(),
            // 198.51.100.0/24 is route-address's own route, and stays
            "  route replace throw 203.0.113.0/24 table 2022 proto 122",
            "  route replace 192.0.2.0/24 dev tnt0 table 2022 proto 122");
    assertThat(counts).isEqualTo(new AddressSetRoutes.Counts(1, 1, 2));
    changes.close();
  }

  @Test
  void withoutRouteAddressesTheDefaultRouteIsTheTablesAndIsNotReplaced() throws IOException {
    HostChanges changes = HostChanges.open(dir, host);
    defaultRouted(false).sync(changes, List.of(), cidrs("0.0.0.0/0", "192.0.2.0/24"));
    assertThat(host.log).contains("  route replace throw 192.0.2.0/24 table 2022 proto 122");
    assertThat(host.log).noneMatch(l -> l.contains("0.0.0.0/0"));
    changes.close();
  }

  @Test
  void routeAddressSetsTakeTheDefaultRoutesPlace() {
    assertThat(AutoRoute.builder("tnt0").routedBySets(true).build().plan())
        .noneMatch(step -> step.spec().contains("default"));
    assertThat(AutoRoute.builder("tnt0").build().plan())
        .anyMatch(step -> step.spec().contains("default"));
  }

  @Test
  void afterAPartlyFailedBatchTheNextSyncSendsEveryRouteAgain() throws IOException {
    HostChanges changes = HostChanges.open(dir, host);
    AddressSetRoutes routes = defaultRouted(false);
    host.failing.add("ip -force -batch");
    assertThatThrownBy(() -> routes.sync(changes, List.of(), cidrs("203.0.113.0/24")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("ip -force -batch` of 1 route changes failed");
    host.failing.clear();
    host.log.clear();

    routes.sync(changes, List.of(), cidrs("203.0.113.0/24", "192.0.2.0/24"));

    assertThat(host.log)
        .containsExactly(
            batch(),
            "  route replace throw 203.0.113.0/24 table 2022 proto 122",
            "  route replace throw 192.0.2.0/24 table 2022 proto 122");
    changes.close();
  }

  @Test
  void aCrashedRunsSetRoutesAreFlushedAtTheNextStart() throws IOException {
    HostChanges crashed = HostChanges.open(dir, host);
    defaultRouted(false).sync(crashed, List.of(), cidrs("203.0.113.0/24"));
    crashed.abandon();
    host.log.clear();

    HostChanges.open(dir, host).close();

    assertThat(host.log)
        .startsWith(
            "ip -4 route flush table 2022 proto 122", "ip -6 route flush table 2022 proto 122");
  }

  @Test
  void onlyRouteLinesOfTheTableAndProtocolAreRun() throws IOException {
    HostChanges changes = HostChanges.open(dir, host);
    assertThatThrownBy(() -> changes.batchRoutes(2022, List.of("rule add priority 1 lookup main")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                changes.batchRoutes(
                    2022, List.of("route replace throw 192.0.2.0/24 table 254 proto 122")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> changes.batchRoutes(254, List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(host.log).isEmpty();
    assertThat(Change.decode("routeset 2022 122")).isEqualTo(new Change.RouteSet("2022", "122"));
    assertThatThrownBy(() -> Change.decode("routeset 2022 4"))
        .isInstanceOf(IllegalArgumentException.class);
    changes.close();
  }
}
