package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Turnout leaves no TUN device, no route and no BPF program behind when stopped with SIGTERM. */
class TeardownIT {
  private static final Duration T = Duration.ofSeconds(30);

  /**
   * Every route of every table, less the veth's IPv6 link-local address: the kernel adds that one
   * whenever duplicate address detection finishes, Turnout or not.
   */
  private static String routes(Sandbox sandbox) throws Exception {
    return sandbox
        .inClient(T, "ip", "route", "show", "table", "all")
        .stdout()
        .lines()
        .filter(line -> !(line.startsWith("local fe80:") && !line.contains("turnout0")))
        .collect(java.util.stream.Collectors.joining("\n"));
  }

  @Test
  void sigtermRemovesTheTunDeviceAndItsRoutes() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      String linksBefore = sandbox.inClient(T, "ip", "-o", "link").stdout();
      String routesBefore = routes(sandbox);
      TurnoutProcess turnout = sandbox.startTurnout(Sandbox.config("", "  - MATCH,DIRECT"));
      assertThat(sandbox.inClient(T, "ip", "-o", "link", "show", "dev", "turnout0").exit())
          .isZero();
      assertThat(sandbox.inClient(T, "ip", "route").stdout())
          .contains("198.18.0.0/15 dev turnout0");
      // some traffic first, so the NAT and relay have state to tear down
      assertThat(
              sandbox
                  .inClient(T, "curl", "-sS", "--fail", "http://www.example.test/index.html")
                  .stdout())
          .isEqualTo("ok\n");

      int program = Sandbox.fastPathProgramId(turnout);
      assertThat(Sandbox.attachedByLink(program)).as("BPF program %d attached", program).isTrue();

      int exit = turnout.terminate(Duration.ofSeconds(20));

      assertThat(exit).isIn(0, 143);
      assertThat(turnout.log()).contains("stopped").contains("the kernel fast path carried");
      assertThat(Sandbox.bpfProgramLoaded(program)).as("BPF program %d", program).isFalse();
      assertThat(sandbox.inClient(T, "ip", "-o", "link").stdout()).isEqualTo(linksBefore);
      assertThat(routes(sandbox)).isEqualTo(routesBefore);
    }
  }
}
