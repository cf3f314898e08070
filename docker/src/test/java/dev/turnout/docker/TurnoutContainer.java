package dev.turnout.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Device;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;

/**
 * Turnout's image as the README runs it: {@code --cap-add NET_ADMIN --device /dev/net/tun} and the
 * configuration at /etc/turnout/config.yaml, ready when it logs "Turnout ready". Also the docker
 * stop/kill/start a person would type, through the same engine.
 */
final class TurnoutContainer {
  static final String READY = "Turnout ready";

  private TurnoutContainer() {}

  /** Turnout's container with {@code yaml} as its configuration and extra capabilities. */
  static GenericContainer<?> of(
      Lab lab, Lab.Subnet subnet, int host, String yaml, Capability... more) {
    List<Capability> caps = new ArrayList<>(List.of(Capability.NET_ADMIN));
    caps.addAll(List.of(more));
    return lab.container(Images.TURNOUT, subnet, host)
        .withCopyToContainer(Transferable.of(yaml), "/etc/turnout/config.yaml")
        .withCreateContainerCmdModifier(
            cmd ->
                cmd.getHostConfig()
                    .withCapAdd(caps.toArray(Capability[]::new))
                    .withDevices(Device.parse("/dev/net/tun")))
        .waitingFor(
            Wait.forLogMessage(".*" + READY + ".*", 1).withStartupTimeout(Duration.ofSeconds(60)));
  }

  /**
   * A configuration: fake-IP DNS with {@code nameserver} upstream, TUN, the given extra lines (top
   * level, e.g. proxies) and rules.
   */
  static String config(String nameserver, String tunExtra, String extra, String... rules) {
    List<String> lines =
        new ArrayList<>(
            List.of(
                "log-level: info",
                "dns:",
                "  enable: true",
                "  fake-ip-range: 198.18.0.0/15",
                "  nameserver: [" + nameserver + "]",
                "tun:",
                "  enable: true",
                "  device: turnout0"));
    lines.add(tunExtra);
    lines.add(extra);
    lines.add("rules:");
    for (String rule : rules) {
      lines.add("  - " + rule);
    }
    lines.add("");
    return String.join("\n", lines);
  }

  /** A SOCKS5 proxy named {@code name} as a {@code proxies:} section. */
  static String socksProxy(String name, String address) {
    return "proxies:\n  - {name: " + name + ", type: socks5, server: " + address + ", port: 1080}";
  }

  /** How many times the container's log (stdout and stderr, all runs) contains {@code text}. */
  static int count(GenericContainer<?> container, String text) {
    String log = container.getLogs();
    int count = 0;
    for (int at = log.indexOf(text); at >= 0; at = log.indexOf(text, at + text.length())) {
      count++;
    }
    return count;
  }

  /** Waits until the log contains {@code text} at least {@code times} times. */
  static void awaitLog(GenericContainer<?> container, String text, int times) throws Exception {
    long deadline = System.nanoTime() + Lab.T.toNanos();
    while (count(container, text) < times) {
      assertThat(System.nanoTime())
          .as("no %d× \"%s\" within %s:\n%s", times, text, Lab.T, container.getLogs())
          .isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  /** {@code docker stop}: SIGTERM, then waits (SIGKILL only after 30 s). */
  static void stop(Lab lab, GenericContainer<?> container) {
    lab.docker.stopContainerCmd(container.getContainerId()).withTimeout(30).exec();
  }

  /** {@code docker kill}: SIGKILL, no teardown; returns once the container has exited. */
  static void kill(Lab lab, GenericContainer<?> container) throws Exception {
    lab.docker.killContainerCmd(container.getContainerId()).exec();
    lab.docker
        .waitContainerCmd(container.getContainerId())
        .start()
        .awaitStatusCode(30, java.util.concurrent.TimeUnit.SECONDS);
  }

  /** {@code docker start} of a stopped container; waits for its {@code run}-th "ready". */
  static void restart(Lab lab, GenericContainer<?> container, int run) throws Exception {
    lab.docker.startContainerCmd(container.getContainerId()).exec();
    awaitLog(container, READY, run);
  }
}
