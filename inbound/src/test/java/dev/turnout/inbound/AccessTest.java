package dev.turnout.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.IpLiterals;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Who may use a listener: the LAN lists and the credentials. */
class AccessTest {
  @Test
  void theDisallowedListWinsAndLoopbackIsAlwaysServed() {
    ClientFilter filter =
        ClientFilter.of(
            List.of(Cidr.parseStrict("198.51.100.0/24")),
            List.of(Cidr.parseStrict("198.51.100.66/32")));
    assertThat(filter.admits(IpLiterals.parse("198.51.100.65"))).isTrue();
    assertThat(filter.admits(IpLiterals.parse("198.51.100.66"))).isFalse();
    assertThat(filter.admits(IpLiterals.parse("203.0.113.2"))).isFalse();
    assertThat(filter.admits(IpLiterals.parse("127.0.0.1"))).isTrue();
    assertThat(filter.admits(IpLiterals.parse("::1"))).isTrue();
    assertThat(ClientFilter.ALL.admits(IpLiterals.parse("203.0.113.2"))).isTrue();
    assertThat(ClientFilter.of(List.of(), List.of()).admits(IpLiterals.parse("203.0.113.2")))
        .as("an empty allowed list allows no other host")
        .isFalse();
  }

  @Test
  void credentialsAndSkippedPrefixes() {
    Authentication auth =
        Authentication.of(
            Map.of("alice", "secret", "bob", ""), List.of(Cidr.parseStrict("198.51.100.0/24")));
    assertThat(auth.enabled()).isTrue();
    assertThat(auth.verify("alice", "secret")).isTrue();
    assertThat(auth.verify("alice", "Secret")).isFalse();
    assertThat(auth.verify("bob", "")).isTrue();
    assertThat(auth.verify("carol", "")).isFalse();
    assertThat(auth.verify(null, null)).isFalse();
    assertThat(auth.requiredFor(IpLiterals.parse("203.0.113.2"))).isTrue();
    assertThat(auth.requiredFor(IpLiterals.parse("198.51.100.7"))).isFalse();
    assertThat(Authentication.NONE.requiredFor(IpLiterals.parse("203.0.113.2"))).isFalse();
  }
}
