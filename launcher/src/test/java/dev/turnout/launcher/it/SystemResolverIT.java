package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code dns.system-resolver: true} points the host's resolver (here the client namespace's
 * /etc/resolv.conf, which {@code ip netns exec} bind-mounts, as Docker does) at Turnout while it
 * runs, and restores the original on SIGTERM and, after SIGKILL, with {@code turnout cleanup}.
 */
class SystemResolverIT {
  private static final Duration T = Duration.ofSeconds(30);
  private static final String ORIGINAL = "# the user's own\nnameserver 203.0.113.1\n";

  private static String config() {
    return Sandbox.config("  system-resolver: true", "  - MATCH,DIRECT");
  }

  private static Path resolvConf(Sandbox sandbox) {
    return Path.of("/etc/netns", sandbox.client, "resolv.conf");
  }

  @Test
  void theResolverPointsAtTurnoutWhileItRunsAndIsRestoredOnSigterm() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      Files.writeString(resolvConf(sandbox), ORIGINAL);
      assertThat(sandbox.inClient(T, "getent", "hosts", "www.example.test").stdout())
          .startsWith("203.0.113.10");

      TurnoutProcess turnout = sandbox.startTurnout(config());
      assertThat(sandbox.inClient(T, "cat", "/etc/resolv.conf").stdout())
          .contains("nameserver 198.18.0.1");
      // any program's lookup now gets a fake IP, with no change to the program
      assertThat(sandbox.inClient(T, "getent", "hosts", "www.example.test").stdout())
          .startsWith("198.18.");

      assertThat(turnout.terminate(Duration.ofSeconds(20))).isIn(0, 143);
      assertThat(Files.readString(resolvConf(sandbox))).isEqualTo(ORIGINAL);
    }
  }

  @Test
  void afterSigkillCleanupRestoresTheResolver() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      Files.writeString(resolvConf(sandbox), ORIGINAL);
      TurnoutProcess turnout = sandbox.startTurnout(config());
      assertThat(Files.readString(resolvConf(sandbox))).contains("nameserver 198.18.0.1");

      turnout.kill(); // SIGKILL: no shutdown hook runs
      assertThat(Files.readString(resolvConf(sandbox))).contains("nameserver 198.18.0.1");

      Command.Result cleanup =
          sandbox.inClient(
              T, "java", "-jar", Sandbox.JAR.toString(), "cleanup", "--device", "turnout0");
      assertThat(cleanup.exit()).as("%s", cleanup).isZero();
      assertThat(Files.readString(resolvConf(sandbox))).isEqualTo(ORIGINAL);
    }
  }
}
