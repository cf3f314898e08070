package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.launcher.config.AddressPlan;
import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.Ipv4;
import dev.turnout.testing.Command;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole fake-IP path with real peers: dig and curl in the client namespace resolve through
 * Turnout's DNS, connect to fake IPs, and reach nginx in the "internet" namespace through the TUN,
 * the NAT and the relay.
 */
class FakeIpPathIT {
  private static final Duration T = Duration.ofSeconds(60);
  private static Sandbox sandbox;
  private static TurnoutProcess turnout;

  @BeforeAll
  static void start() throws Exception {
    sandbox = Sandbox.create();
    Path ads = sandbox.file("ads.txt");
    Files.writeString(ads, "# a local rule set\n+.ads.example.test\n");
    turnout =
        sandbox.startTurnout(
            Sandbox.config(
                    "  fake-ip-filter: [real.example.test]",
                    "  - DOMAIN-SUFFIX,blocked.example.test,REJECT\n  - DOMAIN-SUFFIX,dropped.example.test,REJECT-DROP\n  - RULE-SET,ads,REJECT\n  - MATCH,DIRECT")
                + "rule-providers:\n  ads:\n    type: file\n    behavior: domain\n    format: text\n    path: "
                + ads
                + "\n");
  }

  @AfterAll
  static void stop() throws Exception {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private static String dig(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("dig", "+short", "+time=2", "+tries=1"));
    command.addAll(List.of(args));
    Command.Result result = sandbox.inClient(T, command.toArray(String[]::new));
    assertThat(result.exit()).as("%s", result).isZero();
    return result.stdout().trim();
  }

  @Test
  void aNameGetsTheSameFakeIpEachTime() throws Exception {
    String first = dig("@198.18.0.1", "www.example.test");
    String second = dig("@198.18.0.1", "www.example.test");
    String other = dig("@198.18.0.1", "bulk.example.test");
    assertThat(first).isEqualTo(second);
    assertThat(other).isNotEqualTo(first);
    Cidr fakeRange = AddressPlan.ipv4Range("198.18.0.0/16");
    assertThat(fakeRange.contains(Ipv4.toInt(IpLiterals.parseIpv4(first)))).isTrue();
    assertThat(fakeRange.contains(Ipv4.toInt(IpLiterals.parseIpv4(other)))).isTrue();
  }

  @Test
  void fakeAnswersHaveTtlOne() throws Exception {
    Command.Result result =
        sandbox.inClient(T, "dig", "+noall", "+answer", "@198.18.0.1", "www.example.test");
    assertThat(result.stdout())
        .containsPattern("www\\.example\\.test\\.\\s+1\\s+IN\\s+A\\s+198\\.18\\.");
  }

  @Test
  void filteredNamesAndOtherTypesGetRealAnswers() throws Exception {
    assertThat(dig("@198.18.0.1", "real.example.test")).isEqualTo("203.0.113.10");
    assertThat(dig("@198.18.0.1", "example.test", "MX")).isEqualTo("10 mail.example.test.");
    assertThat(dig("@198.18.0.1", "example.test", "TXT")).isEqualTo("\"turnout sandbox\"");
    assertThat(dig("+tcp", "@198.18.0.1", "example.test", "MX")).isEqualTo("10 mail.example.test.");
  }

  @Test
  void downloadsByNameArriveIntact() throws Exception {
    long tunBytesBefore = sandbox.tunBytesToTurnout();
    for (String file : List.of("1k.bin", "10m.bin")) {
      sandbox.assertDownloadIntact("http://www.example.test/" + file, file);
    }
    assertThat(turnout.log())
        .contains("-> www.example.test:80")
        .contains("rule MATCH")
        .contains("via DIRECT")
        .contains("kernel fast path on turnout0 egress");
    // Of the 10 MiB, only the segments before each flow was mapped crossed the TUN.
    assertThat(sandbox.tunBytesToTurnout() - tunBytesBefore)
        .as("bytes through the TUN")
        .isLessThan(1L << 20);
  }

  @Test
  void hundredConcurrentDownloadsOfTheSameNameAndPortArriveIntact() throws Exception {
    sandbox.assertParallelDownloadsIntact(100, "http://bulk.example.test/256k.bin", "256k.bin");
  }

  @Test
  void rejectRulesRefuseTheSynAndSayWhichRuleDecided() throws Exception {
    for (String host : List.of("www.blocked.example.test", "x.ads.example.test")) {
      Command.Result result =
          sandbox.inClient(T, "curl", "-sS", "--max-time", "5", "http://" + host + "/index.html");
      // the SYN itself is answered with a RST: "connection refused", no socket was ever accepted
      assertThat(result.exit()).as("%s", result).isEqualTo(7);
      assertThat(result.stderr()).contains("Couldn't connect to server");
    }
    turnout.awaitLog("x.ads.example.test:80", Duration.ofSeconds(5));
    assertThat(turnout.log())
        .containsPattern(
            "www\\.blocked\\.example\\.test:80 .*rule DOMAIN-SUFFIX,blocked\\.example\\.test .*via REJECT")
        .containsPattern(
            "x\\.ads\\.example\\.test:80 .*rule \\+\\.ads\\.example\\.test \\[provider ads.*via REJECT");
  }

  @Test
  void rejectDropNeverAnswersTheSyn() throws Exception {
    Command.Result result =
        sandbox.inClient(
            T, "curl", "-sS", "--max-time", "3", "http://www.dropped.example.test/index.html");
    assertThat(result.exit()).as("%s", result).isEqualTo(28); // timed out: no RST, no SYN-ACK
    turnout.awaitLog("www.dropped.example.test:80", Duration.ofSeconds(5));
    assertThat(turnout.log())
        .containsPattern("www\\.dropped\\.example\\.test:80 .*via REJECT-DROP \\(first packet\\)");
  }

  @Test
  void theRelayListenerRefusesConnectionsThatDidNotComeThroughTheNat() throws Exception {
    Command.Result result =
        sandbox.inClient(T, "curl", "-sS", "--max-time", "5", "http://198.18.0.1:7890/");
    assertThat(result.exit()).as("%s", result).isNotZero();
    assertThat(turnout.isAlive()).isTrue();
    // and Turnout still serves real connections afterwards
    Command.Result ok =
        sandbox.inClient(T, "curl", "-sS", "--fail", "http://www.example.test/index.html");
    assertThat(ok.stdout()).isEqualTo("ok\n");
  }
}
