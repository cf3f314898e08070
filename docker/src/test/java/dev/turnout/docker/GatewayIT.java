package dev.turnout.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.ContainerNetwork;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.testcontainers.containers.GenericContainer;

/**
 * Turnout's container as the gateway of other containers: allow-lan with auto-route, on a "wan"
 * network with the servers and a "lan" network, {@code --sysctl net.ipv4.ip_forward=1} (a container
 * cannot write /proc/sys itself). A client on the lan, whose default route and resolver are
 * Turnout's lan address, resolves through Turnout and reaches nginx, DIRECT from Turnout's wan
 * address or through dante by rule. The wan is internal; the lan carries the client's packets for
 * other networks to Turnout, and both containers on it route via Turnout or nginx, never via the
 * host. Nothing NATs: a reply reaches the client only because Turnout relayed its connection.
 */
class GatewayIT {
  private static final int TURNOUT = 12;
  private static final int CLIENT = 13;
  private static Lab lab;
  private static Lab.Subnet wan;
  private static Lab.Subnet lan;
  private static GenericContainer<?> dante;
  private static GenericContainer<?> turnout;
  private static GenericContainer<?> client;

  @RegisterExtension static final TestWatcher LOGS = Lab.logsOnFailure(() -> lab);

  @BeforeAll
  static void start() throws Exception {
    lab = Lab.create();
    wan = lab.network("wan");
    lan = lab.gatewayNetwork("lan");
    dante = TestServers.start(lab, wan, Map.of("www.example.test", wan.remote(1))).dante();
    String yaml =
        TurnoutContainer.config(
                wan.resolver(),
                "  auto-route: true\n  dns-hijack: [any:53]",
                "allow-lan: true\n"
                    + TurnoutContainer.socksProxy("dante", wan.ip(TestServers.SOCKS)),
                "IP-CIDR," + wan.remote(2) + "/32,dante",
                "MATCH,DIRECT")
            .replace(
                "  enable: true\n  fake-ip-range",
                "  enable: true\n  listen: 0.0.0.0:53\n  fake-ip-range");
    turnout =
        lab.start(
            TurnoutContainer.of(lab, wan, TURNOUT, yaml)
                .withCreateContainerCmdModifier(
                    cmd -> cmd.getHostConfig().withSysctls(Map.of("net.ipv4.ip_forward", "1"))));
    // docker network connect turnout LAN --ip ...: the gateway's second leg.
    lab.docker
        .connectToNetworkCmd()
        .withNetworkId(lan.name())
        .withContainerId(turnout.getContainerId())
        .withContainerNetwork(
            new ContainerNetwork()
                .withIpamConfig(new ContainerNetwork.Ipam().withIpv4Address(lan.ip(TURNOUT))))
        .exec();
    // The gateway's uplink: the "internet" (nginx's remote addresses) behind its default route.
    Lab.routeRemotesVia(turnout, wan, TURNOUT, wan.ip(TestServers.WEB));
    client =
        lab.start(
            lab.idle(lan, CLIENT, Capability.NET_ADMIN)
                .withCreateContainerCmdModifier(
                    cmd -> cmd.getHostConfig().withDns(lan.ip(TURNOUT))));
    Lab.check(client, "ip", "route", "replace", "default", "via", lan.ip(TURNOUT));
  }

  @AfterAll
  static void stop() {
    if (lab != null) {
      lab.close();
    }
  }

  private static String curl(String url) throws Exception {
    return Lab.check(client, "curl", "-sS", "-m", "10", "--fail", url);
  }

  @Test
  void theClientResolvesThroughTheGateway() throws Exception {
    String viaResolvConf =
        Lab.check(client, "dig", "+short", "+time=2", "+tries=1", "www.example.test");
    assertThat(viaResolvConf.strip()).matches("198\\.1[89]\\.\\d+\\.\\d+");
    // A query to another resolver crosses the gateway and is hijacked on the way.
    String hijacked =
        Lab.check(
            client,
            "dig",
            "+short",
            "+time=2",
            "+tries=1",
            "@" + wan.resolver(),
            "www.example.test");
    assertThat(hijacked.strip()).isEqualTo(viaResolvConf.strip());
  }

  @Test
  void theClientsConnectionsAreRelayedDirect() throws Exception {
    assertThat(curl("http://www.example.test/whoami"))
        .as("nginx sees the gateway's wan address, not the client's")
        .isEqualTo(wan.remote(1) + " <- " + wan.ip(TURNOUT) + "\n");
    assertThat(curl("http://" + wan.remote(1) + "/whoami"))
        .as("a literal address is captured as well")
        .isEqualTo(wan.remote(1) + " <- " + wan.ip(TURNOUT) + "\n");
    assertThat(turnout.getLogs())
        .containsPattern("-> www\\.example\\.test:80 .*via DIRECT")
        .containsPattern("-> " + wan.remote(1) + ":80 .*rule MATCH .*via DIRECT");
  }

  @Test
  void aRuleSendsTheClientsConnectionThroughDante() throws Exception {
    assertThat(curl("http://" + wan.remote(2) + "/whoami"))
        .isEqualTo(wan.remote(2) + " <- " + wan.ip(TestServers.SOCKS) + "\n");
    assertThat(dante.getLogs()).contains(wan.remote(2) + ".80");
    assertThat(turnout.getLogs()).containsPattern("-> " + wan.remote(2) + ":80 .*via dante");
  }
}
