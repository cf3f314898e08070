package dev.turnout.hostnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The nftables table that leaves LAN devices out of auto-route's capture by MAC address. */
class MacSelectionTest {
  @TempDir Path dir;
  final RecordingCommands host = new RecordingCommands();

  @Test
  void leftOutDevicesGetTheRoutingMarkAndTheTableGoesAtClose() throws IOException {
    HostChanges changes = HostChanges.open(dir, host);

    MacSelection.apply(
        changes,
        "tnt0",
        0x2022,
        List.of("02:00:5e:00:53:01", "02:00:5E:00:53:02"),
        List.of("02:00:5e:00:53:03"));

    assertThat(changes.describe()).containsExactly("nft inet turnout_mac_tnt0");
    assertThat(String.join("\n", host.log))
        .contains("type filter hook prerouting priority mangle; policy accept;")
        .contains("iiftype ether ether saddr { 02:00:5e:00:53:03 } meta mark set 0x2022")
        .contains(
            "iiftype ether ether saddr != { 02:00:5e:00:53:01, 02:00:5e:00:53:02 }"
                + " meta mark set 0x2022");
    host.log.clear();

    changes.close();

    assertThat(host.log).contains("nft delete table inet turnout_mac_tnt0");
  }

  @Test
  void withNoAddressesNothingIsMade() throws IOException {
    HostChanges changes = HostChanges.open(dir, host);
    MacSelection.apply(changes, "tnt0", 0x2022, List.of(), List.of());
    assertThat(changes.describe()).isEmpty();
    assertThat(host.log).isEmpty();
  }

  @Test
  void aMalformedAddressOrNoMarkIsRefusedBeforeNftRuns() throws IOException {
    HostChanges changes = HostChanges.open(dir, host);
    assertThatThrownBy(
            () ->
                MacSelection.apply(
                    changes, "tnt0", 0x2022, List.of(), List.of("02:00:5e:00:53:01; drop")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> MacSelection.apply(changes, "tnt0", 0, List.of(), List.of("02:00:5e:00:53:01")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(changes.describe()).isEmpty();
  }
}
