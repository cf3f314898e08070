package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Daemon;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * What another local user gets from a Turnout that root runs (issue 14, "Exposure"): {@code nobody}
 * in the client namespace may use Turnout as any application does, but cannot use the relay
 * listener for its own ends, cannot reach services that listen only on this host through a fake IP,
 * and cannot remap other users' fake IPs by asking for many names. A service on 0.0.0.0:8765 in the
 * client stands for what listens on this host; the sandbox's dnsmasq maps loopback.example.test to
 * 127.0.0.1 and self.example.test to the client's own 203.0.113.2.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExposureIT {
  private static final Duration T = Duration.ofSeconds(60);
  private static final int NOBODY = 65534;
  private static final int SERVICE_PORT = 8765;
  // A /19: 4,094 fake IPs, fewer than the flood asks for, more than its quota lets it have.
  private static final String RANGE = "198.18.0.0/19";
  private static final int FLOOD = 6_000;
  // AllocationQuota's defaults: a burst of 2,000 new names, then 50 a second.
  private static final int QUOTA_BURST = 2_000;
  private static final int QUOTA_PER_SECOND = 50;

  private static Sandbox sandbox;
  private static TurnoutProcess turnout;
  private static Daemon service;

  @BeforeAll
  static void start() throws Exception {
    sandbox = Sandbox.create();
    turnout =
        sandbox.startTurnout(
            Sandbox.config("", "  - MATCH,DIRECT").replace("198.18.0.0/15", RANGE));
    service =
        Daemon.startIn(
            sandbox.client,
            sandbox.file("service.log"),
            "python3",
            "-u",
            "-m",
            "http.server",
            "--bind",
            "0.0.0.0",
            Integer.toString(SERVICE_PORT),
            "--directory",
            sandbox.file("www").toString());
    service.awaitLog("Serving HTTP", Duration.ofSeconds(20));
  }

  @AfterAll
  static void stop() throws Exception {
    if (service != null) {
      service.kill();
    }
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @Test
  @Order(1)
  void anotherUserUsesTurnoutLikeAnyApplication() throws Exception {
    Command.Result whoami = asNobody("id", "-u");
    assertThat(whoami.stdout().strip()).isEqualTo(Integer.toString(NOBODY));
    Command.Result download =
        asNobody("curl", "-sS", "--fail", "-o", "/dev/null", "http://www.example.test/1k.bin");
    assertThat(download.exit()).as("%s", download).isZero();
  }

  @Test
  @Order(2)
  void servicesOnThisHostAreNotReachedThroughAFakeIp() throws Exception {
    Command.Result direct =
        sandbox.inClient(T, "curl", "-sS", "--fail", "http://127.0.0.1:8765/index.html");
    assertThat(direct.exit()).as("the service is up: %s", direct).isZero();
    int served = requests();

    for (String name : List.of("loopback.example.test", "self.example.test")) {
      String fake = asNobody("dig", "+short", name).stdout().strip();
      assertThat(fake).as(name + " gets a fake IP").startsWith("198.18.");
      Command.Result viaFake =
          asNobody(
              "curl", "-sS", "--fail", "--max-time", "10", "http://" + name + ":8765/index.html");
      assertThat(viaFake.exit()).as("%s through Turnout: %s", name, viaFake).isNotZero();
    }
    for (String literal : List.of("127.0.0.1", "0.0.0.0", "203.0.113.2")) {
      assertThat(asNobody("dig", "+short", literal).stdout())
          .as("an address typed as a name gets no fake IP")
          .doesNotContain("198.18.");
    }
    assertThat(requests()).as("nothing reached the service through Turnout").isEqualTo(served);
    turnout.awaitLog("this host's own address", Duration.ofSeconds(5));
    assertThat(turnout.log()).contains("this host's own address");
  }

  @Test
  @Order(3)
  void theRelayListenerServesNatSessionsOnly() throws Exception {
    for (String relay : List.of("198.18.0.1:7890", "127.0.0.1:7890")) {
      Command.Result result =
          asNobody("curl", "-sS", "--max-time", "10", "http://" + relay + "/index.html");
      assertThat(result.exit()).as("%s: %s", relay, result).isNotZero();
      assertThat(result.stdout()).isEmpty();
    }
    turnout.awaitLog("not a NAT session", Duration.ofSeconds(5));
    assertThat(turnout.log()).contains("not a NAT session");
  }

  @Test
  @Order(4)
  void aFloodOfNewNamesIsHeldToItsQuotaAndRemapsNoOneElse() throws Exception {
    String before = dig("www.example.test");
    assertThat(before).startsWith("198.18.");

    DnsFlood.Counts flood =
        DnsFlood.Counts.parse(asNobody(DnsFlood.command(FLOOD, 1, "exposure.example", 64)));
    int ok = flood.noerror();
    int servfail = flood.servfail();
    double seconds = flood.seconds();
    assertThat(ok + servfail).as("every query answered: %s", flood).isEqualTo(FLOOD);
    assertThat(ok)
        .as("new fake IPs within the quota: %s", flood)
        .isLessThanOrEqualTo(QUOTA_BURST + (int) Math.ceil(QUOTA_PER_SECOND * (seconds + 2)));
    assertThat(servfail).as("the rest refused").isPositive();
    assertThat(ok).as("the pool could not have been cycled").isLessThan(4_094);

    assertThat(dig("www.example.test")).as("root's mapping survived").isEqualTo(before);
    sandbox.assertDownloadIntact("http://www.example.test/256k.bin", "256k.bin");
    turnout.awaitLog("faster than its fake-IP quota", Duration.ofSeconds(5));
    assertThat(turnout.log()).contains("faster than its fake-IP quota");
  }

  private static String dig(String name) throws Exception {
    Command.Result r = sandbox.inClient(T, "dig", "+short", "+tries=1", "+time=5", name);
    assertThat(r.exit()).as("%s", r).isZero();
    return r.stdout().strip();
  }

  /** The service's request lines so far. */
  private static int requests() throws Exception {
    return service.log().split("\"GET ", -1).length - 1;
  }

  private static Command.Result asNobody(String... command) throws Exception {
    List<String> full =
        new ArrayList<>(
            List.of(
                "setpriv",
                "--reuid=" + NOBODY,
                "--regid=" + NOBODY,
                "--clear-groups",
                "--reset-env",
                "--"));
    full.addAll(List.of(command));
    return sandbox.inClient(T, full.toArray(String[]::new));
  }
}
