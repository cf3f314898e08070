package dev.turnout.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CommandTest {
  @Test
  void capturesStdoutStderrAndTheExitStatus() throws Exception {
    Command.Result result =
        Command.run(Duration.ofSeconds(10), "sh", "-c", "echo out; echo err >&2; exit 3");
    assertThat(result.exit()).isEqualTo(3);
    assertThat(result.stdout()).isEqualTo("out\n");
    assertThat(result.stderr()).isEqualTo("err\n");
  }

  @Test
  void stdinIsEmptySoACommandThatReadsItDoesNotWait() throws Exception {
    assertThat(Command.run(Duration.ofSeconds(10), "cat").stdout()).isEmpty();
  }

  @Test
  void aCommandStillRunningAtItsLimitIsKilled() {
    long start = System.nanoTime();
    assertThatThrownBy(() -> Command.run(Duration.ofMillis(200), "sleep", "30"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("timed out");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void checkReturnsStdoutOrFailsWithTheOutput() throws Exception {
    assertThat(Command.check("echo", "hello")).isEqualTo("hello\n");
    assertThatThrownBy(() -> Command.check("sh", "-c", "echo why >&2; exit 1"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("why");
  }
}
