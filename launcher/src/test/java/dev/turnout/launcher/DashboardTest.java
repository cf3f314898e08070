package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unpacking a dashboard archive: GitHub's one top folder is stripped, a flat archive is taken as it
 * is, entries that climb out are refused, and a failure leaves the old dashboard in place. The
 * download is ControllerApiIT's (from a real nginx).
 */
class DashboardTest {
  @TempDir Path home;

  private static byte[] zip(String... namesAndContents) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(bytes)) {
      for (int i = 0; i < namesAndContents.length; i += 2) {
        out.putNextEntry(new ZipEntry(namesAndContents[i]));
        out.write(namesAndContents[i + 1].getBytes(StandardCharsets.UTF_8));
      }
    }
    return bytes.toByteArray();
  }

  @Test
  void theTopFolderIsStrippedAndTheOldDashboardReplaced() throws Exception {
    Path ui = home.resolve("ui");
    Files.createDirectories(ui);
    Files.writeString(ui.resolve("stale.html"), "old");
    Dashboard.install(zip("yacd-gh-pages/index.html", "new", "yacd-gh-pages/a/b.js", "js"), ui);
    assertThat(Files.readString(ui.resolve("index.html"))).isEqualTo("new");
    assertThat(Files.readString(ui.resolve("a/b.js"))).isEqualTo("js");
    assertThat(ui.resolve("stale.html")).doesNotExist();
    try (var left = Files.list(home)) {
      assertThat(left).as("no temporary directories left").containsExactly(ui);
    }
    Dashboard.install(zip("index.html", "flat", "favicon.ico", "i"), ui);
    assertThat(Files.readString(ui.resolve("index.html"))).isEqualTo("flat");
  }

  @Test
  void anEntryOutsideOrAFileThatIsNoZipLeavesTheDashboardAsItWas() throws Exception {
    Path ui = home.resolve("ui");
    Files.createDirectories(ui);
    Files.writeString(ui.resolve("index.html"), "kept");
    assertThatThrownBy(() -> Dashboard.install(zip("index.html", "x", "../evil.txt", "x"), ui))
        .hasMessageContaining("outside the archive's folder");
    assertThatThrownBy(
            () -> Dashboard.install("<html>404</html>".getBytes(StandardCharsets.UTF_8), ui))
        .hasMessageContaining("not a zip archive");
    assertThat(Files.readString(ui.resolve("index.html"))).isEqualTo("kept");
    assertThat(home.resolve("evil.txt")).doesNotExist();
    try (var left = Files.list(home)) {
      assertThat(left).containsExactly(ui);
    }
  }

  @Test
  void missingMeansNoDirectoryOrAnEmptyOne() throws Exception {
    Path ui = home.resolve("ui");
    var controller =
        new dev.turnout.launcher.config.ControlSettings.Controller(
            new java.net.InetSocketAddress("127.0.0.1", 9090),
            null,
            null,
            null,
            "",
            ui,
            "http://x.test/ui.zip",
            java.util.List.of(),
            true);
    assertThat(Dashboard.missing(controller)).isTrue();
    Files.createDirectories(ui);
    assertThat(Dashboard.missing(controller)).isTrue();
    Files.writeString(ui.resolve("index.html"), "x");
    assertThat(Dashboard.missing(controller)).isFalse();
    assertThat(Dashboard.missing(null)).isFalse();
  }
}
