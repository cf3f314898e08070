package dev.turnout.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Volume;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;

/**
 * Turnout in "host network" mode with auto-route, in a throw-away namespace that stands in for the
 * host, and the host's own programs captured by it.
 *
 * <p>{@code --network host} puts a container into a network namespace Docker did not make and will
 * not remove: the machine's. Docker offers one other way into such a namespace, {@code --network
 * container:X}, where the namespace is X's. So the "host" here is a holder container ({@code
 * sleep}, its own address, a default route to the "internet") whose namespace outlives Turnout's
 * container, and Turnout's container joins it exactly as it would join the machine's: same image,
 * same flags but the network one, its TUN, rules and routes made in a namespace shared with
 * processes that are not Turnout's (the holder's curl and dig, i.e. the host's programs). What the
 * machine's namespace would show, the holder's shows: rules and routes before, during and after
 * Turnout, across docker stop, docker kill, the next start and {@code turnout cleanup}.
 *
 * <p>With {@code --cap-add SYS_ADMIN} (the engine here is older than CAP_BPF) Turnout, running as
 * its unprivileged user, loads the kernel fast path.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostNetworkIT {
  private static final int HOST = 12;
  private static Lab lab;
  private static Lab.Subnet net;
  private static GenericContainer<?> dante;
  private static GenericContainer<?> host;
  private static GenericContainer<?> turnout;
  private static String state;
  private static String before;

  @RegisterExtension static final TestWatcher LOGS = Lab.logsOnFailure(() -> lab);

  @BeforeAll
  static void start() throws Exception {
    lab = Lab.create();
    net = lab.network("host");
    String web = net.ip(TestServers.WEB);
    dante =
        TestServers.start(
                lab, net, Map.of("www.example.test", net.remote(1), "local.example.test", web))
            .dante();
    host = lab.start(lab.idle(net, HOST, Capability.NET_ADMIN));
    // The "internet" lies behind the host's default route, as it does for a real host; the host's
    // resolver is dnsmasq (Lab.container).
    Lab.routeRemotesVia(host, net, HOST, web);
    before = routing();
    state = lab.volume("state");
    String yaml =
        TurnoutContainer.config(
            net.resolver(),
            "  auto-route: true\n  dns-hijack: [any:53]",
            TurnoutContainer.socksProxy("dante", net.ip(TestServers.SOCKS)),
            "IP-CIDR," + net.remote(2) + "/32,dante",
            "MATCH,DIRECT");
    turnout =
        lab.start(
            TurnoutContainer.of(lab, null, 0, yaml, Capability.SYS_ADMIN)
                .withNetworkMode("container:" + host.getContainerId())
                .withCreateContainerCmdModifier(
                    cmd ->
                        cmd.getHostConfig()
                            .withBinds(new Bind(state, new Volume("/var/lib/turnout")))));
  }

  @AfterAll
  static void stop() {
    if (lab != null) {
      lab.close();
    }
  }

  /**
   * The host's rules of both families and routes of every table, less the kernel's IPv6 link-local
   * routes: what Turnout must leave as it found it.
   */
  private static String routing() throws Exception {
    return String.join(
        "\n----\n",
        Lab.check(host, "ip", "-4", "rule"),
        Lab.check(host, "ip", "-6", "rule"),
        Lab.check(host, "ip", "route", "show", "table", "all")
            .lines()
            .filter(line -> !line.contains("fe80:"))
            .collect(Collectors.joining("\n")));
  }

  private static String curl(String url) throws Exception {
    return Lab.check(host, "curl", "-sS", "-m", "10", "--fail", url);
  }

  @Test
  @Order(1)
  void theHostsOwnConnectionsAreCaptured() throws Exception {
    assertThat(routing()).isNotEqualTo(before).contains("lookup 2022");
    // DNS to another resolver is hijacked: a fake answer, although dnsmasq would give the real one.
    String answer =
        Lab.check(
            host, "dig", "+short", "+time=2", "+tries=1", "@" + net.resolver(), "www.example.test");
    assertThat(answer.strip()).matches("198\\.1[89]\\.\\d+\\.\\d+");
    assertThat(curl("http://www.example.test/whoami"))
        .isEqualTo(net.remote(1) + " <- " + net.ip(HOST) + "\n");
    // A literal address, reached by the default route: captured too, and sent by rule to dante.
    assertThat(curl("http://" + net.remote(2) + "/whoami"))
        .as("nginx sees dante's address")
        .isEqualTo(net.remote(2) + " <- " + net.ip(TestServers.SOCKS) + "\n");
    assertThat(dante.getLogs()).contains(net.remote(2) + ".80");
    assertThat(turnout.getLogs())
        .containsPattern("-> www\\.example\\.test:80 .*via DIRECT")
        .containsPattern(
            "-> " + net.remote(2) + ":80 .*rule IP-CIDR," + net.remote(2) + "/32 .*via dante");
  }

  @Test
  @Order(2)
  void theFastPathCarriesEstablishedFlowsForAnUnprivilegedTurnout() throws Exception {
    assertThat(turnout.getLogs()).contains("kernel fast path on turnout0 egress");
    assertThat(Lab.check(turnout, "cat", "/proc/1/status")).doesNotContainPattern("Uid:\\s+0\\s");
    long tunBefore = tunBytes();
    String got =
        Lab.check(
            host, "sh", "-c", "curl -sS -m 30 --fail http://local.example.test/1m.bin | sha256sum");
    String expected =
        Lab.check(host, "curl", "-sS", "-m", "10", "http://local.example.test/1m.bin.sha256");
    assertThat(got.split(" ")[0]).isEqualTo(expected.split(" ")[0]);
    assertThat(tunBytes() - tunBefore).as("bytes through the TUN").isLessThan(256 * 1024);
  }

  private static long tunBytes() throws Exception {
    return Long.parseLong(
        Lab.check(host, "cat", "/sys/class/net/turnout0/statistics/tx_bytes").strip());
  }

  @Test
  @Order(3)
  void dockerStopLeavesTheHostAsItWas() throws Exception {
    TurnoutContainer.stop(lab, turnout);
    assertThat(turnout.getLogs()).contains("Turnout stopped");
    assertThat(routing()).isEqualTo(before);
  }

  @Test
  @Order(4)
  void afterDockerKillTheNextStartRestoresTheHost() throws Exception {
    TurnoutContainer.restart(lab, turnout, 2);
    TurnoutContainer.kill(lab, turnout);
    assertThat(routing()).as("SIGKILL: no teardown").isNotEqualTo(before).contains("9005");
    TurnoutContainer.restart(lab, turnout, 3);
    assertThat(turnout.getLogs())
        .contains("found changes left by a Turnout that did not stop cleanly");
    TurnoutContainer.stop(lab, turnout);
    assertThat(routing()).isEqualTo(before);
  }

  @Test
  @Order(5)
  void afterDockerKillTurnoutCleanupInANewContainerRestoresTheHost() throws Exception {
    TurnoutContainer.restart(lab, turnout, 4);
    TurnoutContainer.kill(lab, turnout);
    assertThat(routing()).isNotEqualTo(before);
    // As a person would: docker run --rm --network host --cap-add NET_ADMIN -v STATE turnout
    // cleanup
    GenericContainer<?> cleanup =
        lab.start(
            lab.container(Images.TURNOUT, null, 0)
                .withCommand("cleanup")
                .withNetworkMode("container:" + host.getContainerId())
                .withCreateContainerCmdModifier(
                    cmd ->
                        cmd.getHostConfig()
                            .withCapAdd(Capability.NET_ADMIN)
                            .withBinds(new Bind(state, new Volume("/var/lib/turnout"))))
                .withStartupCheckStrategy(new OneShotStartupCheckStrategy()));
    assertThat(cleanup.getLogs()).containsPattern("undid \\d+ host changes listed in");
    assertThat(routing()).isEqualTo(before);
  }
}
