package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import org.junit.jupiter.api.Test;

/**
 * With {@code tun.fast-path: false} every segment crosses the TUN and the user-space rewriter, as
 * on a kernel that refuses the BPF program: the same downloads must arrive intact that way too.
 */
class TunOnlyPathIT {
  @Test
  void withoutTheFastPathDownloadsCrossTheTunIntact() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      TurnoutProcess turnout =
          sandbox.startTurnout(
              Sandbox.config("", "  - MATCH,DIRECT")
                  .replace("tun:\n", "tun:\n  fast-path: false\n"));
      long before = sandbox.tunBytesToTurnout();
      sandbox.assertDownloadIntact("http://www.example.test/10m.bin", "10m.bin");
      sandbox.assertParallelDownloadsIntact(50, "http://bulk.example.test/256k.bin", "256k.bin");
      assertThat(turnout.log())
          .contains("kernel fast path off")
          .doesNotContain("kernel fast path on");
      assertThat(sandbox.tunBytesToTurnout() - before)
          .as("the downloads' bytes crossed the TUN")
          .isGreaterThan(10L << 20);
    }
  }
}
