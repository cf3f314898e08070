package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code turnout cleanup} with no device named finds what a killed Turnout left, whatever TUN
 * device it used: the journal is looked up among every state directory of the network namespace.
 */
class CleanupIT {
  private static final Duration T = Duration.ofSeconds(30);

  @Test
  void plainCleanupFindsTheJournalOfACustomDeviceAfterSigkill() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      String before = sandbox.routing();
      String config =
          String.join(
              "\n",
              "log-level: info",
              "dns:",
              "  enable: true",
              "  nameserver: [203.0.113.1]",
              "tun:",
              "  enable: true",
              "  device: cbtun0",
              "  auto-route: true",
              "rules:",
              "  - MATCH,DIRECT",
              "");
      TurnoutProcess turnout = sandbox.startTurnout(config);
      assertThat(sandbox.routing()).isNotEqualTo(before);
      turnout.kill(); // SIGKILL: no shutdown hook runs
      assertThat(sandbox.inClient(T, "ip", "rule").stdout())
          .as("the rules outlive the process")
          .contains("lookup main suppress_prefixlength 0");

      Command.Result cleanup =
          sandbox.inClient(T, "java", "-jar", Sandbox.JAR.toString(), "cleanup");
      assertThat(cleanup.exit()).as("%s", cleanup).isZero();
      assertThat(cleanup.stdout()).contains("undid").contains("cbtun0");
      assertThat(sandbox.routing()).isEqualTo(before);

      Command.Result again = sandbox.inClient(T, "java", "-jar", Sandbox.JAR.toString(), "cleanup");
      assertThat(again.exit()).isZero();
      assertThat(again.stdout()).contains("nothing to clean up");
    }
  }
}
