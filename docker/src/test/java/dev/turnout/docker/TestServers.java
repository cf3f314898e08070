package dev.turnout.docker;

import com.github.dockerjava.api.model.Capability;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The real peers, one container each from the test-server image (see its Dockerfile): nginx, whose
 * {@code /whoami} answers {@code SERVER_ADDR <- REMOTE_ADDR}; dnsmasq with the test's records;
 * dante, a SOCKS5 server that logs every connection it carries.
 */
final class TestServers {
  /** nginx's host number in each test's subnet. */
  static final int WEB = 10;

  /** dante's host number in each test's subnet. */
  static final int SOCKS = 11;

  private static final Duration START = Duration.ofSeconds(30);

  private TestServers() {}

  /** The peers each test runs. */
  record Peers(GenericContainer<?> nginx, GenericContainer<?> dante) {}

  /** dnsmasq with {@code records}, nginx at {@link #WEB} and dante at {@link #SOCKS}. */
  static Peers start(Lab lab, Lab.Subnet subnet, Map<String, String> records) throws Exception {
    dnsmasq(lab, subnet, records);
    return new Peers(nginx(lab, subnet, WEB), dante(lab, subnet, SOCKS));
  }

  /** nginx on port 80, also answering on the subnet's remote addresses 1 and 2. */
  private static GenericContainer<?> nginx(Lab lab, Lab.Subnet subnet, int host) throws Exception {
    GenericContainer<?> nginx =
        lab.container(Images.SERVERS, subnet, host)
            .withCommand("nginx", "-g", "daemon off;")
            .withCreateContainerCmdModifier(
                cmd -> cmd.getHostConfig().withCapAdd(Capability.NET_ADMIN))
            .waitingFor(
                Wait.forLogMessage(".*start worker process.*", 1).withStartupTimeout(START));
    lab.start(nginx);
    for (int i = 1; i <= 2; i++) {
      Lab.check(nginx, "ip", "address", "add", subnet.remote(i) + "/32", "dev", "lo");
    }
    return nginx;
  }

  /**
   * dnsmasq answering {@code records} (name to address) and nothing else, at the subnet's {@link
   * Lab.Subnet#resolver} address.
   */
  private static GenericContainer<?> dnsmasq(
      Lab lab, Lab.Subnet subnet, Map<String, String> records) {
    List<String> command =
        new ArrayList<>(
            List.of(
                "dnsmasq",
                "--keep-in-foreground",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                "--log-queries",
                "--log-facility=-",
                "--local=/test/"));
    records.forEach((name, address) -> command.add("--host-record=" + name + "," + address));
    return lab.start(
        lab.container(Images.SERVERS, subnet, 2)
            .withCommand(command.toArray(String[]::new))
            .waitingFor(Wait.forLogMessage(".*started, version.*", 1).withStartupTimeout(START)));
  }

  /** dante on port 1080 of its address, no authentication. */
  private static GenericContainer<?> dante(Lab lab, Lab.Subnet subnet, int host) {
    return lab.start(
        lab.container(Images.SERVERS, subnet, host)
            .withCommand("danted", "-f", "/etc/danted.conf")
            .waitingFor(Wait.forLogMessage(".*running.*", 1).withStartupTimeout(START)));
  }
}
