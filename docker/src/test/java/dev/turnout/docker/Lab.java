package dev.turnout.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Network;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The Docker objects of one test class: internal networks on documentation subnets, named volumes
 * and containers, each labelled with this lab's id. {@link #close} removes all of them, also after
 * a failed test or a container the test restarted: Ryuk is off (no registry to pull it from), so
 * nothing else would.
 *
 * <p>Networks are {@code --internal} (no route off this machine; {@link #gatewayNetwork} is the one
 * exception) and never NATed. Each takes a free /27 of 198.51.100.0/24, since Docker refuses
 * overlapping bridges and the host gets a route to each. Not 203.0.113.0/24: a machine may reach
 * its package mirror there (this one does).
 *
 * <p>Not thread-safe: one test thread.
 */
final class Lab implements AutoCloseable {
  static final String LABEL = "dev.turnout.it";
  static final Duration T = Duration.ofSeconds(60);

  final String id =
      "turnout-it-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
  final DockerClient docker;
  private final Deque<GenericContainer<?>> containers = new ArrayDeque<>();
  private final List<String> networks = new ArrayList<>();
  private final List<String> volumes = new ArrayList<>();

  private Lab(DockerClient docker) {
    this.docker = docker;
  }

  /** A lab with the images built; skipped where Docker is missing, except in CI (fails there). */
  static Lab create() throws Exception {
    boolean available = DockerClientFactory.instance().isDockerAvailable();
    if (!available && "true".equals(System.getenv("CI"))) {
      throw new IllegalStateException("the container tests need a running dockerd in CI");
    }
    Assumptions.assumeTrue(available, "no Docker engine: container tests skipped");
    Images.build();
    return new Lab(DockerClientFactory.instance().client());
  }

  /** An internal network on a free /27 of 198.51.100.0/24; its gateway (.1) is the host's. */
  Subnet network(String role) {
    return network(role, true);
  }

  /**
   * A network whose bridge carries packets for addresses outside it, as a gateway's clients send:
   * Docker drops them on an internal network's bridge. Not NATed; every container on it must route
   * through the test's own containers, never via the host's end of the bridge (.1).
   */
  Subnet gatewayNetwork(String role) {
    return network(role, false);
  }

  private Subnet network(String role, boolean internal) {
    List<String> taken = new ArrayList<>();
    DockerException refused = null;
    for (Network network : docker.listNetworksCmd().exec()) {
      if (network.getIpam() != null && network.getIpam().getConfig() != null) {
        network.getIpam().getConfig().forEach(c -> taken.add(c.getSubnet()));
      }
    }
    for (int first = 0; first < 256; first += 32) {
      Subnet subnet = new Subnet(id + "-" + role, first);
      if (taken.stream().anyMatch(subnet::overlaps)) {
        continue;
      }
      try {
        docker
            .createNetworkCmd()
            .withName(subnet.name())
            .withDriver("bridge")
            .withInternal(internal)
            .withOptions(Map.of("com.docker.network.bridge.enable_ip_masquerade", "false"))
            .withLabels(Map.of(LABEL, id))
            .withIpam(
                new Network.Ipam()
                    .withConfig(
                        new Network.Ipam.Config()
                            .withSubnet(subnet.cidr())
                            .withGateway(subnet.ip(1))))
            .exec();
        networks.add(subnet.name());
        return subnet;
      } catch (DockerException e) {
        taken.add(subnet.cidr()); // taken meanwhile by someone else: try the next one
        refused = e;
      }
    }
    throw new IllegalStateException(
        "no free /27 left in 198.51.100.0/24 for a test network", refused);
  }

  /** A named volume, removed with the lab. */
  String volume(String role) {
    String name = id + "-" + role;
    docker.createVolumeCmd().withName(name).withLabels(Map.of(LABEL, id)).exec();
    volumes.add(name);
    return name;
  }

  /**
   * A container of {@code image} at {@code subnet.ip(host)} (or, with a null subnet, for the caller
   * to give a network mode), labelled for removal; the caller adds what it runs and starts it with
   * {@link #start}. Its resolver is the subnet's dnsmasq ({@link Subnet#resolver}), which a later
   * modifier may replace: never Docker's default, the machine's own resolver, which Docker's
   * embedded DNS would forward names it does not know to.
   */
  GenericContainer<?> container(String image, Subnet subnet, int host) {
    GenericContainer<?> container =
        new GenericContainer<>(DockerImageName.parse(image)).withLabel(LABEL, id);
    if (subnet != null) {
      container
          .withNetworkMode(subnet.name())
          .withCreateContainerCmdModifier(
              cmd -> {
                cmd.withIpv4Address(subnet.ip(host));
                cmd.getHostConfig().withDns(subnet.resolver());
              });
    }
    return container;
  }

  /** An idle container of the test-server image: a client, or the holder of a namespace. */
  GenericContainer<?> idle(Subnet subnet, int host, Capability... caps) {
    return container(Images.SERVERS, subnet, host)
        .withCommand("sleep", "infinity")
        .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withCapAdd(caps));
  }

  /** Starts a container; it is removed by {@link #close} even if it fails to start. */
  <C extends GenericContainer<?>> C start(C container) {
    containers.push(container);
    container.start();
    return container;
  }

  /** Runs a command in a running container; commands must bound their own time (curl -m...). */
  static ExecResult exec(GenericContainer<?> container, String... command) throws Exception {
    return container.execInContainer(command);
  }

  /** As {@link #exec}, and asserts the command succeeded; returns its standard output. */
  static String check(GenericContainer<?> container, String... command) throws Exception {
    ExecResult result = exec(container, command);
    assertThat(result.getExitCode())
        .as(
            "%s\nstdout: %s\nstderr: %s",
            String.join(" ", command), result.getStdout(), result.getStderr())
        .isZero();
    return result.getStdout();
  }

  /** Prints the log of every container of the lab: what a failed test needs to be understood. */
  void printLogs() {
    for (GenericContainer<?> container : containers) {
      if (container.getContainerId() == null) {
        continue;
      }
      System.out.println(
          "---- log of "
              + container.getDockerImageName()
              + " "
              + String.join(" ", container.getCommandParts())
              + " ----");
      System.out.println(container.getLogs());
    }
  }

  /** A watcher that prints the lab's container logs after each failed test. */
  static TestWatcher logsOnFailure(java.util.function.Supplier<Lab> lab) {
    return new TestWatcher() {
      @Override
      public void testFailed(ExtensionContext context, Throwable cause) {
        if (lab.get() != null) {
          lab.get().printLogs();
        }
      }
    };
  }

  /**
   * Makes {@code subnet}'s upper half reachable from {@code container} (at {@code host}) only
   * through a default route via {@code gateway}: its on-link route shrinks to the lower half.
   */
  static void routeRemotesVia(
      GenericContainer<?> container, Subnet subnet, int host, String gateway) throws Exception {
    String ip = subnet.ip(host);
    check(
        container,
        "sh",
        "-c",
        "dev=$(ip -o -4 address show to "
            + ip
            + " | awk '{ print $2 }')"
            + " && ip route del "
            + subnet.cidr()
            + " && ip route add 198.51.100."
            + subnet.first()
            + "/28 dev \"$dev\" scope link src "
            + ip
            + " && ip route replace default via "
            + gateway);
  }

  /** Removes every container, volume and network of this lab, newest first. */
  @Override
  public void close() {
    List<RuntimeException> failures = new ArrayList<>();
    while (!containers.isEmpty()) {
      GenericContainer<?> container = containers.pop();
      try {
        container.stop(); // stops and removes, with its anonymous volumes
      } catch (RuntimeException e) {
        failures.add(e);
      }
    }
    // Whatever a test created by other means, or a container that outlived stop().
    for (Container left :
        docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(LABEL, id)).exec()) {
      ignoreMissing(
          () ->
              docker
                  .removeContainerCmd(left.getId())
                  .withForce(true)
                  .withRemoveVolumes(true)
                  .exec(),
          failures);
    }
    volumes.forEach(v -> ignoreMissing(() -> docker.removeVolumeCmd(v).exec(), failures));
    networks.forEach(n -> ignoreMissing(() -> docker.removeNetworkCmd(n).exec(), failures));
    if (!failures.isEmpty()) {
      IllegalStateException e = new IllegalStateException("lab " + id + " left things behind");
      failures.forEach(e::addSuppressed);
      throw e;
    }
  }

  private static void ignoreMissing(Runnable removal, List<RuntimeException> failures) {
    try {
      removal.run();
    } catch (NotFoundException e) {
      // already gone
    } catch (RuntimeException e) {
      failures.add(e);
    }
  }

  /**
   * A /27 of 198.51.100.0/24 named {@code name}. Containers take addresses in its lower half
   * ({@link #ip}); nginx also answers on the upper half ({@link #remote}), which a container
   * reaches only by its default route once {@link #routeRemotesVia} has narrowed its on-link route
   * to the lower half: the "internet" that auto-route captures. (Remote addresses outside the
   * subnet would be simpler, but Docker drops packets for them on an internal network's bridge.)
   */
  record Subnet(String name, int first) {
    String cidr() {
      return "198.51.100." + first + "/27";
    }

    /** Where each test puts its dnsmasq. */
    String resolver() {
      return ip(2);
    }

    /** A container's address, host 1 to 15 (1 is the host's bridge). */
    String ip(int host) {
      if (host < 1 || host > 15) {
        throw new IllegalArgumentException("host " + host + " is not in the lower half of a /27");
      }
      return "198.51.100." + (first + host);
    }

    /** A remote address, 1 to 14. */
    String remote(int i) {
      if (i < 1 || i > 14) {
        throw new IllegalArgumentException("remote " + i + " is not in the upper half of a /27");
      }
      return "198.51.100." + (first + 16 + i);
    }

    /** Whether an IPv4 CIDR shares an address with this subnet. */
    boolean overlaps(String cidr) {
      String[] parts = cidr.split("/");
      if (parts.length != 2 || !parts[0].matches("\\d+(\\.\\d+){3}")) {
        return false; // IPv6
      }
      long start = toLong(parts[0]);
      long size = 1L << (32 - Integer.parseInt(parts[1]));
      start &= ~(size - 1);
      long mine = toLong("198.51.100." + first);
      return start < mine + 32 && mine < start + size;
    }

    private static long toLong(String address) {
      long value = 0;
      for (String octet : address.split("\\.")) {
        value = value << 8 | Integer.parseInt(octet);
      }
      return value;
    }
  }
}
