package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.launcher.config.ConfigLoader;
import dev.turnout.netbase.HostResolver;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.ManualTimeSource;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.relay.Router;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which DIRECT flows the kernel may forward, and where to. */
class DirectNatTest {
  static final InetAddress FAKE = IpLiterals.parse("198.18.3.7");
  static final InetAddress REAL = IpLiterals.parse("203.0.113.10");
  static final InetAddress REAL6 = IpLiterals.parse("2001:db8:113::10");
  static final InetAddress LOCAL = IpLiterals.parse("203.0.113.2");

  final ManualTimeSource clock = new ManualTimeSource();
  final ForwardingState host = ready(new ForwardingState(clock));

  /** What the resolver holds: a name maps to its answer, done or still under way. */
  final Map<String, CompletableFuture<List<InetAddress>>> answers = new HashMap<>();

  final HostResolver resolver =
      host -> answers.getOrDefault(host, CompletableFuture.failedFuture(new Exception("none")));
  final DirectNat nat = new DirectNat(host, resolver, a -> a.equals(LOCAL), clock);

  static ForwardingState ready(ForwardingState state) {
    state.ready();
    return state;
  }

  final Router.Route direct =
      new Router.Route("DIRECT", "MATCH", "test.yaml:1", new DirectOutbound(resolver, a -> false));

  int target(String host, InetAddress destination) {
    return nat.target(true, direct, host, destination, 443);
  }

  @TempDir Path dir;

  boolean wanted(String... lines) throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(
        file,
        String.join("\n", lines)
            + "\ndns: {nameserver: [203.0.113.1]}\nrules:\n  - MATCH,DIRECT\n");
    return DirectNat.wanted(ConfigLoader.load(file));
  }

  @Test
  void itIsWantedOnlyWhereForwardedPacketsLeaveAsDirectSocketsWould() throws Exception {
    assertThat(wanted("tun: {enable: true, direct-nat: true}")).isTrue();
    assertThat(wanted("tun: {enable: true}")).as("on by default").isTrue();
    assertThat(wanted("tun: {enable: true, direct-nat: false}")).isFalse();
    assertThat(wanted("interface-name: eth0", "tun: {enable: true}")).isFalse();
    assertThat(wanted("tun: {enable: false, direct-nat: true}")).isFalse();
    assertThat(wanted("interface-name: eth0", "tun: {enable: true, direct-nat: true}")).isFalse();
    assertThat(wanted("routing-mark: 255", "tun: {enable: true, direct-nat: true}")).isFalse();
    assertThat(
            wanted("routing-mark: 255", "tun: {enable: true, auto-route: true, direct-nat: true}"))
        .as("auto-route's own mark")
        .isTrue();
  }

  @Test
  void aNameGoesToTheFirstIpv4AddressTheResolverHolds() {
    answers.put("www.example.test", CompletableFuture.completedFuture(List.of(REAL6, REAL)));
    assertThat(target("www.example.test", FAKE)).isEqualTo(Ipv4.toInt(REAL));
  }

  @Test
  void aRealDestinationGoesWhereTheAppDialed() {
    assertThat(target(null, REAL)).isEqualTo(Ipv4.toInt(REAL));
    assertThat(target(null, LOCAL)).as("this host's own address: the relay decides").isZero();
  }

  @Test
  void onlyTcpOverIpv4ToTheBuiltInDirectOnceTheHostIsReady() {
    answers.put("www.example.test", CompletableFuture.completedFuture(List.of(REAL)));
    assertThat(nat.target(false, direct, "www.example.test", FAKE, 443)).as("UDP").isZero();
    assertThat(target(null, REAL6)).as("IPv6").isZero();
    Router.Route group = new Router.Route("Proxy", "MATCH", "test.yaml:1", new RejectOutbound());
    assertThat(nat.target(true, group, "www.example.test", FAKE, 443)).as("not DIRECT").isZero();
    DirectNat notSetUp = new DirectNat(new ForwardingState(clock), resolver, a -> false, clock);
    assertThat(notSetUp.target(true, direct, "www.example.test", FAKE, 443))
        .as("host not set up")
        .isZero();
    assertThat(DirectNat.OFF.target(true, direct, null, REAL, 443)).isZero();
  }

  /**
   * A destination that left a forwarded SYN unanswered is relayed for a minute, by name or dialed
   * itself: the relay races the name's other addresses. Then the kernel may forward to it again.
   */
  @Test
  void anAddressThatDidNotAnswerIsRelayedForAMinute() {
    answers.put("www.example.test", CompletableFuture.completedFuture(List.of(REAL)));
    host.unanswered(Ipv4.toInt(REAL), 443);
    assertThat(nat.target(true, direct, null, REAL, 80)).as("another port").isNotZero();
    assertThat(target("www.example.test", FAKE)).isZero();
    assertThat(target(null, REAL)).isZero();
    clock.advance(Duration.ofSeconds(ForwardingState.UNANSWERED_SECONDS - 1));
    assertThat(target(null, REAL)).isZero();
    clock.advance(Duration.ofSeconds(1));
    assertThat(target("www.example.test", FAKE)).isEqualTo(Ipv4.toInt(REAL));
    assertThat(target(null, REAL)).isEqualTo(Ipv4.toInt(REAL));
  }

  @Test
  void aNameWithoutAnIpv4AnswerOrNotYetResolvedIsRelayed() {
    answers.put("v6.example.test", CompletableFuture.completedFuture(List.of(REAL6)));
    answers.put("new.example.test", new CompletableFuture<>());
    assertThat(target("v6.example.test", FAKE)).isZero();
    assertThat(target("new.example.test", FAKE)).isZero();
    assertThat(target("unknown.example.test", FAKE)).as("a failed lookup").isZero();
  }

  @Test
  void aLookupUnderWayIsRememberedWhenItEndsForTheNamesNextFlows() {
    CompletableFuture<List<InetAddress>> lookup = new CompletableFuture<>();
    answers.put("www.example.test", lookup);
    assertThat(target("www.example.test", FAKE)).as("the first flow").isZero();
    lookup.complete(List.of(REAL));
    answers.put("www.example.test", new CompletableFuture<>()); // expired again at once (TTL 0)
    assertThat(target("www.example.test", FAKE)).isEqualTo(Ipv4.toInt(REAL));
  }

  @Test
  void whileARefreshIsUnderWayTheLastAnswerServesForAMinute() {
    answers.put("www.example.test", CompletableFuture.completedFuture(List.of(REAL)));
    assertThat(target("www.example.test", FAKE)).isEqualTo(Ipv4.toInt(REAL));

    answers.put("www.example.test", new CompletableFuture<>()); // the TTL ran out: refreshing
    clock.advance(Duration.ofSeconds(DirectNat.STALE_SECONDS));
    assertThat(target("www.example.test", FAKE)).isEqualTo(Ipv4.toInt(REAL));
    clock.advance(Duration.ofSeconds(1));
    assertThat(target("www.example.test", FAKE)).as("too old").isZero();
  }
}
