package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.rules.GeoIpWriter;
import dev.turnout.rules.MmdbWriter;
import dev.turnout.testing.Command;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Geodata downloads, end to end, as mihomo makes them: the databases come from the sandbox's nginx
 * (at {@code geox-url}), and a GEOIP rule that rejects what the database places in ZZ shows which
 * copy the running rules read: {@code www.example.test} is 203.0.113.10.
 */
class GeodataIT {
  private static final Duration T = Duration.ofSeconds(30);
  private static final String SECRET = "geodata";
  private static final int CONTROLLER = 9097;
  private static Sandbox sandbox;
  private TurnoutProcess turnout;

  @BeforeAll
  static void start() throws Exception {
    sandbox = Sandbox.create();
    Files.createDirectories(sandbox.file("www/geo"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @AfterEach
  void stopTurnoutAndRemoveItsFiles() throws Exception {
    if (turnout != null) {
      turnout.kill();
      turnout = null;
    }
    for (String name : List.of("Country.mmdb", "GeoIP.dat")) { // each test starts without
      Files.deleteIfExists(sandbox.dir.resolve(name));
    }
  }

  private static String yaml(String... top) {
    return String.join(
        "\n",
        "log-level: info",
        "state-dir: " + sandbox.file("state"),
        String.join("\n", top),
        "external-controller: 127.0.0.1:" + CONTROLLER,
        "secret: " + SECRET,
        "dns:",
        "  nameserver: [203.0.113.1]",
        "tun:",
        "  device: turnout0",
        "rules:",
        "  - GEOIP,ZZ,REJECT",
        "  - MATCH,DIRECT",
        "");
  }

  /** Whether a request to www.example.test (203.0.113.10) gets through. */
  private static boolean reachable() throws Exception {
    Command.Result r =
        sandbox.inClient(
            T, "curl", "-sS", "-o", "/dev/null", "--max-time", "10", "http://www.example.test/");
    return r.exit() == 0;
  }

  private static void serveCountries(String zz) throws Exception {
    new MmdbWriter("GeoLite2-Country")
        .put(zz, Map.of("country", Map.of("iso_code", "ZZ")))
        .write(sandbox.file("www/geo/country.mmdb"));
  }

  /**
   * geox-url: a GEOIP rule whose database the directory lacks gets the file {@code run} downloads
   * first, saved beside the configuration as Country.mmdb; the rule then judges by it.
   */
  @Test
  void aMissingCountryDatabaseIsDownloadedAtStart() throws Exception {
    serveCountries("203.0.113.0/24");
    Path saved = sandbox.dir.resolve("Country.mmdb");
    turnout =
        sandbox.startTurnout(yaml("geox-url: {mmdb: 'http://203.0.113.10/geo/country.mmdb'}"));
    assertThat(saved).hasSameBinaryContentAs(sandbox.file("www/geo/country.mmdb"));
    assertThat(turnout.log()).contains("geodata: downloaded " + saved);
    assertThat(reachable()).isFalse();
    turnout.awaitLog("rule GEOIP,ZZ", Duration.ofSeconds(5));
  }

  /**
   * POST /configs/geo, the dashboards' "update GEO databases": the new file replaces the old one,
   * the configuration is reloaded, and new connections are judged by it; asked again with nothing
   * new, the file stays. A download that is no database (here a 404 page) replaces nothing and
   * fails the request with the reason.
   */
  @Test
  void theControllerUpdatesTheDatabasesAndTheRulesFollow() throws Exception {
    serveCountries("203.0.113.0/24");
    Path saved = sandbox.dir.resolve("Country.mmdb");
    turnout =
        sandbox.startTurnout(yaml("geox-url: {mmdb: 'http://203.0.113.10/geo/country.mmdb'}"));
    assertThat(reachable()).isFalse();
    serveCountries("198.51.100.0/24"); // 203.0.113.10 is no longer in ZZ
    try (ControllerClient api = ControllerClient.of(sandbox, CONTROLLER, SECRET)) {
      ControllerClient.Reply r = api.call("POST", "/configs/geo", "");
      assertThat(r.status()).as("%s", r).isEqualTo(204);
      assertThat(saved).hasSameBinaryContentAs(sandbox.file("www/geo/country.mmdb"));
      turnout.awaitLog("reload (geodata update", Duration.ofSeconds(5)); // logged asynchronously
      assertThat(reachable()).isTrue();

      r = api.call("POST", "/upgrade/geo", "");
      assertThat(r.status()).as("%s", r).isEqualTo(204);
      turnout.awaitLog("geodata: " + saved + " is up to date", Duration.ofSeconds(5));
      assertThat(turnout.count("reload (geodata update")).isEqualTo(1);

      byte[] before = Files.readAllBytes(saved);
      Files.delete(sandbox.file("www/geo/country.mmdb"));
      r = api.call("POST", "/configs/geo", "");
      assertThat(r.status()).as("%s", r).isEqualTo(500);
      assertThat(String.valueOf(r.json().get("message")))
          .contains("cannot download Country.mmdb from http://203.0.113.10/geo/country.mmdb");
      assertThat(Files.readAllBytes(saved)).isEqualTo(before);
      assertThat(Files.exists(sandbox.dir.resolve("Country.mmdb.part"))).isFalse();
      assertThat(reachable()).isTrue();
    }
  }

  /**
   * geodata-mode with geo-auto-update: GEOIP reads a GeoIP.dat, and one older than
   * geo-update-interval is downloaded again soon after the start; the rules then follow the new
   * copy, which puts 203.0.113.0/24 in ZZ where the old one did not.
   */
  @Test
  void aStaleGeoIpDatIsUpdatedOnItsOwn() throws Exception {
    Path saved = sandbox.dir.resolve("GeoIP.dat");
    new GeoIpWriter().list("zz", "198.51.100.0/24").write(saved);
    Files.setLastModifiedTime(saved, FileTime.from(Instant.now().minus(Duration.ofHours(30))));
    new GeoIpWriter()
        .list("private", "10.0.0.0/8")
        .list("zz", "203.0.113.0/24")
        .write(sandbox.file("www/geo/geoip.dat"));
    turnout =
        sandbox.startTurnout(
            yaml(
                "geodata-mode: true",
                "geo-auto-update: true",
                "geo-update-interval: 24",
                "geox-url: {geoip: 'http://203.0.113.10/geo/geoip.dat'}"));
    turnout.awaitLog("reload (geodata update", T);
    assertThat(turnout.log()).contains("geodata: downloaded " + saved);
    assertThat(saved).hasSameBinaryContentAs(sandbox.file("www/geo/geoip.dat"));
    assertThat(reachable()).isFalse();
    turnout.awaitLog("rule GEOIP,ZZ", Duration.ofSeconds(5));
  }
}
