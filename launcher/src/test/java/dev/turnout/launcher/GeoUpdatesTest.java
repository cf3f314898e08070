package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When geo-auto-update downloads again: the oldest database's age (its modification time, which a
 * download that found nothing new also sets) against the interval, with a failed try waiting an
 * hour. The download and the reload are GeodataIT's.
 */
class GeoUpdatesTest {
  private static final Duration DAY = Duration.ofHours(24);
  private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");

  @TempDir Path home;

  private GeoDownloads.Target file(String name, Duration age) throws Exception {
    Path f = Files.writeString(home.resolve(name), "x");
    Files.setLastModifiedTime(f, FileTime.from(NOW.minus(age)));
    return new GeoDownloads.Target(GeoDownloads.Database.MMDB, f);
  }

  @Test
  void dueWhenTheOldestIsOlderThanTheInterval() throws Exception {
    GeoDownloads.Target fresh = file("Country.mmdb", Duration.ofHours(2));
    GeoDownloads.Target stale = file("GeoSite.dat", Duration.ofHours(25));
    assertThat(GeoUpdates.due(List.of(fresh), DAY, NOW, null)).isFalse();
    assertThat(GeoUpdates.due(List.of(fresh, stale), DAY, NOW, null)).isTrue();
    assertThat(GeoUpdates.due(List.of(fresh), Duration.ofHours(1), NOW, null)).isTrue();
    assertThat(GeoUpdates.due(List.of(), DAY, NOW, null)).as("nothing to update").isFalse();
  }

  @Test
  void aMissingFileIsDue() {
    GeoDownloads.Target missing =
        new GeoDownloads.Target(GeoDownloads.Database.GEOSITE, home.resolve("GeoSite.dat"));
    assertThat(GeoUpdates.due(List.of(missing), DAY, NOW, null)).isTrue();
  }

  @Test
  void aTryWaitsAnHourOrTheIntervalIfShorter() throws Exception {
    GeoDownloads.Target stale = file("Country.mmdb", Duration.ofHours(48));
    Instant tried = NOW.minus(Duration.ofMinutes(30));
    assertThat(GeoUpdates.due(List.of(stale), DAY, NOW, tried)).isFalse();
    assertThat(GeoUpdates.due(List.of(stale), DAY, NOW.plus(Duration.ofMinutes(31)), tried))
        .isTrue();
    assertThat(GeoUpdates.due(List.of(stale), Duration.ofHours(1), NOW, tried)).isFalse();
    assertThat(GeoUpdates.due(List.of(stale), DAY, NOW, NOW.minus(Duration.ofHours(2)))).isTrue();
  }
}
