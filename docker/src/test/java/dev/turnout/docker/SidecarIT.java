package dev.turnout.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.HealthCheck;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;

/**
 * Turnout as a sidecar, run as the README says ({@code --cap-add NET_ADMIN --device /dev/net/tun},
 * no other capability) with {@code --dns 198.18.0.1}, and a client container started with {@code
 * --network container:turnout}: its dig and curl, through Docker's resolver, get fake IPs and reach
 * nginx DIRECT or through dante by rule.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SidecarIT {
  private static final int TURNOUT = 12;
  private static Lab lab;
  private static Lab.Subnet net;
  private static GenericContainer<?> nginx;
  private static GenericContainer<?> dante;
  private static GenericContainer<?> turnout;
  private static GenericContainer<?> client;

  @RegisterExtension static final TestWatcher LOGS = Lab.logsOnFailure(() -> lab);

  @BeforeAll
  static void start() throws Exception {
    lab = Lab.create();
    net = lab.network("sidecar");
    String web = net.ip(TestServers.WEB);
    TestServers.Peers peers =
        TestServers.start(
            lab,
            net,
            Map.of(
                "www.example.test", web,
                "socks.example.test", web,
                "real.example.test", web));
    nginx = peers.nginx();
    dante = peers.dante();
    String yaml =
        TurnoutContainer.config(
            net.resolver(),
            "",
            TurnoutContainer.socksProxy("dante", net.ip(TestServers.SOCKS)),
            "DOMAIN-SUFFIX,socks.example.test,dante",
            "MATCH,DIRECT");
    // a healthcheck every second (the image's own probe) instead of every 10 s
    HealthCheck everySecond =
        new HealthCheck()
            .withTest(java.util.List.of("CMD", "turnout-healthcheck"))
            .withInterval(Duration.ofSeconds(1).toNanos())
            .withTimeout(Duration.ofSeconds(3).toNanos())
            .withRetries(3);
    turnout =
        lab.start(
            TurnoutContainer.of(lab, net, TURNOUT, yaml.replace("  fake-ip-range", fakeIpFilter()))
                .withCreateContainerCmdModifier(
                    cmd -> cmd.withHealthcheck(everySecond).getHostConfig().withDns("198.18.0.1")));
    client = lab.start(lab.idle(null, 0).withNetworkMode("container:" + turnout.getContainerId()));
  }

  private static String fakeIpFilter() {
    return "  fake-ip-filter: [real.example.test]\n  fake-ip-range";
  }

  @AfterAll
  static void stop() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  @Order(1)
  void namesResolveToFakeIpsThroughDockersResolverAndTurnout() throws Exception {
    String viaResolvConf =
        Lab.check(client, "dig", "+short", "+time=2", "+tries=1", "www.example.test");
    String direct =
        Lab.check(
            client, "dig", "+short", "+time=2", "+tries=1", "@198.18.0.1", "www.example.test");
    assertThat(viaResolvConf.strip())
        .matches("198\\.1[89]\\.\\d+\\.\\d+")
        .isEqualTo(direct.strip());
    String filtered =
        Lab.check(client, "dig", "+short", "+time=2", "+tries=1", "real.example.test");
    assertThat(filtered.strip())
        .as("fake-ip-filter: the real address")
        .isEqualTo(net.ip(TestServers.WEB));
  }

  @Test
  @Order(2)
  void directConnectionsGoThroughTurnout() throws Exception {
    String body = Lab.check(client, "curl", "-sS", "-m", "10", "http://www.example.test/whoami");
    assertThat(body).isEqualTo(net.ip(TestServers.WEB) + " <- " + net.ip(TURNOUT) + "\n");
    TurnoutContainer.awaitLog(turnout, "-> www.example.test:80", 1);
    assertThat(turnout.getLogs())
        .containsPattern("-> www\\.example\\.test:80 .*rule MATCH .*via DIRECT");
  }

  @Test
  @Order(3)
  void aSocksRuleGoesThroughDante() throws Exception {
    String body = Lab.check(client, "curl", "-sS", "-m", "10", "http://socks.example.test/whoami");
    assertThat(body)
        .as("nginx sees dante's address")
        .isEqualTo(net.ip(TestServers.WEB) + " <- " + net.ip(TestServers.SOCKS) + "\n");
    assertThat(dante.getLogs()).contains(net.ip(TestServers.WEB) + ".80");
    assertThat(turnout.getLogs())
        .containsPattern(
            "-> socks\\.example\\.test:80 .*DOMAIN-SUFFIX,socks\\.example\\.test .*via dante");
  }

  @Test
  @Order(4)
  void withoutBpfCapabilitiesTurnoutSaysSoOnceAndCarriesEveryPacket() throws Exception {
    String expected = Lab.check(nginx, "cat", "/srv/www/1m.bin.sha256").split(" ")[0];
    String got =
        Lab.check(
            client, "sh", "-c", "curl -sS -m 30 --fail http://www.example.test/1m.bin | sha256sum");
    assertThat(got.split(" ")[0]).isEqualTo(expected);
    assertThat(TurnoutContainer.count(turnout, "no kernel fast path")).isEqualTo(1);
    assertThat(turnout.getLogs())
        .contains("no kernel fast path, every packet crosses the TUN")
        .doesNotContain("kernel fast path on turnout0");
    long tunBytes =
        Long.parseLong(
            Lab.check(client, "cat", "/sys/class/net/turnout0/statistics/tx_bytes").strip());
    assertThat(tunBytes).as("the download crossed the TUN").isGreaterThan(1 << 20);
  }

  @Test
  @Order(5)
  void theHealthcheckAsksTurnoutsDns() throws Exception {
    long deadline = System.nanoTime() + Lab.T.toNanos();
    String status;
    do {
      Thread.sleep(200);
      InspectContainerResponse inspect =
          lab.docker.inspectContainerCmd(turnout.getContainerId()).exec();
      status = inspect.getState().getHealth().getStatus();
    } while (!"healthy".equals(status) && System.nanoTime() < deadline);
    assertThat(status).isEqualTo("healthy");
    // The same probe against a port nobody answers on fails.
    ExecResult wrong =
        Lab.exec(turnout, "env", "TURNOUT_HEALTH_DNS=198.18.0.1:54", "turnout-healthcheck");
    assertThat(wrong.getExitCode()).isNotZero();
  }

  @Test
  @Order(6)
  void turnoutRunsUnprivilegedWithOnlyTheCapabilitiesItUses() throws Exception {
    String status = Lab.check(turnout, "cat", "/proc/1/status");
    assertThat(status)
        .containsPattern("Uid:\\s+(\\d+)\\s+\\1")
        .doesNotContainPattern("Uid:\\s+0\\s");
    // NET_BIND_SERVICE (10) and NET_ADMIN (12), nothing else, in every set.
    assertThat(status)
        .contains("CapEff:\t0000000000001400")
        .contains("CapBnd:\t0000000000001400")
        .contains("CapAmb:\t0000000000001400");
    assertThat(Lab.check(turnout, "cat", "/proc/1/comm").strip()).isEqualTo("java");
  }

  @Test
  @Order(7)
  void dockerStopEndsTurnoutCleanly() throws Exception {
    TurnoutContainer.stop(lab, turnout);
    InspectContainerResponse.ContainerState state =
        lab.docker.inspectContainerCmd(turnout.getContainerId()).exec().getState();
    assertThat(turnout.getLogs()).contains("stopping").contains("Turnout stopped");
    // The JVM ends on SIGTERM after its shutdown hook: 128 + 15.
    assertThat(state.getExitCodeLong()).isEqualTo(143L);
  }
}
