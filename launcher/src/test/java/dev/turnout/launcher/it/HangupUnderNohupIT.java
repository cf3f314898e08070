package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Netns;
import dev.turnout.testing.Root;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * SIGHUP reloads the configuration also when Turnout was started with SIGHUP ignored, as {@code
 * nohup} and some supervisors start daemons (HotSpot alone would install no handler then). Turnout
 * runs under {@code nohup} with no TUN and no DNS server, in a namespace of its own that {@link
 * Netns#close} empties and deletes.
 */
class HangupUnderNohupIT {
  private static final Duration T = Duration.ofSeconds(30);

  private static String config(Path dir, String rules) {
    return String.join(
        "\n",
        "log-level: info",
        "state-dir: " + dir.resolve("state"),
        "dns: {enable: false, nameserver: [127.0.0.1]}",
        "tun: {enable: false}",
        "rules:",
        rules,
        "");
  }

  @Test
  void sighupReloadsAChangedFileUnderNohup() throws Exception {
    Root.requireRoot();
    try (Netns netns = Netns.isolated("thup")) {
      netns.in("ip", "link", "set", "lo", "up");
      Path config = netns.write("nohup.yaml", config(netns.dir, "  - MATCH,DIRECT"));
      Process process =
          netns.start(
              "turnout.log",
              "nohup",
              "java",
              "-jar",
              Sandbox.JAR.toString(),
              "run",
              "-c",
              config.toString());
      TurnoutProcess turnout = new TurnoutProcess(process, netns.dir.resolve("turnout.log"));
      turnout.awaitLog(TurnoutProcess.READY, T);
      assertThat(turnout.log())
          .as("nohup left SIGHUP ignored when the JVM started")
          .contains("SIGHUP was ignored when Turnout started");

      netns.write(
          "nohup.yaml",
          config(netns.dir, "  - DOMAIN,blocked.example.test,REJECT\n  - MATCH,DIRECT"));
      turnout.signal("HUP");
      turnout.awaitLog("reload (SIGHUP", Duration.ofSeconds(10));
      assertThat(turnout.log()).containsPattern("reload \\(SIGHUP \\(.*\\)\\): 2 rules");
      assertThat(turnout.isAlive()).as("SIGHUP reloads, it does not stop Turnout").isTrue();
    }
  }
}
