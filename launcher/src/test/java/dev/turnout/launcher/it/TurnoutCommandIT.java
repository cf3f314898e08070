package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Directories;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's first command on a fresh checkout: {@code ./turnout} builds the jar itself the first
 * time, then runs it, and does not build again while the sources are unchanged. It once built with
 * {@code -Dmaven.test.skip=true}, which Maven cannot resolve the launcher's test dependencies with,
 * so the very first command a user types failed while every other test passed. Runs in a local
 * clone of this repository's committed tree (what a user gets), which it deletes afterwards.
 */
class TurnoutCommandIT {
  private static final Duration BUILD = Duration.ofMinutes(5);

  @Test
  void buildsOnAFreshCloneThenRunsWithoutBuildingAgain() throws Exception {
    Path root = Path.of("").toAbsolutePath().getParent(); // failsafe runs in launcher/
    Path dir = Files.createTempDirectory("turnout-command-it");
    try {
      Path clone = dir.resolve("turnout");
      // safe.directory: the checkout may belong to another user than the one running the tests
      Command.check(
          BUILD,
          List.of(
              "git", "-c", "safe.directory=*", "clone", "-q", root.toString(), clone.toString()));
      assertThat(clone.resolve("launcher/target")).doesNotExist();

      Command.Result first = check(clone);
      assertThat(first.exit()).as(first.toString()).isZero();
      assertThat(first.stderr()).contains("turnout: building");
      assertThat(first.stdout()).contains("config.yaml.example: OK");
      assertThat(clone.resolve("launcher/target/turnout.jar")).isRegularFile();

      Command.Result again = check(clone);
      assertThat(again.exit()).as(again.toString()).isZero();
      assertThat(again.stderr()).doesNotContain("turnout: building");
      assertThat(again.stdout()).contains("config.yaml.example: OK");
    } finally {
      Directories.deleteTree(dir);
    }
  }

  /** {@code ./turnout check -c config.yaml.example} as the README has it, in {@code clone}. */
  private static Command.Result check(Path clone) throws Exception {
    return Command.run(
        BUILD,
        "bash",
        "-c",
        "cd \"$1\" && ./turnout check -c config.yaml.example",
        "-",
        clone.toString());
  }
}
