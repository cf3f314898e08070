package dev.turnout.hostnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ForwardedNatTest {
  @TempDir Path dir;
  final RecordingCommands host = new RecordingCommands();

  @Test
  void withForwardingOffTheTableFiltersBeforeForwardingIsTurnedOn() throws IOException {
    host.sysctls.put("net.ipv4.conf.eth0.forwarding", "1"); // on by itself: kept
    HostChanges changes = HostChanges.open(dir, host);

    ForwardedNat.apply(changes, "tnt0", "198.19.0.0/16", null, null);

    assertThat(changes.describe())
        .containsExactly(
            "sysctl net.ipv4.conf.tnt0.forwarding 0 1",
            "nft ip turnout_tnt0",
            "sysctl net.ipv4.conf.eth0.forwarding 1 1",
            "sysctl net.ipv4.conf.tnt0.forwarding 1 1",
            "sysctl net.ipv4.ip_forward 0 1");
    assertThat(nftScript())
        .contains("ip saddr 198.19.0.0/16 oifname != \"tnt0\" masquerade")
        .contains("iifname \"tnt0\" ip saddr 198.19.0.0/16 accept")
        .contains("oifname \"tnt0\" ip daddr 198.19.0.0/16 ct direction reply accept")
        .contains("drop");
    host.log.clear();

    changes.close();

    assertThat(host.log)
        .containsSubsequence(
            "sysctl -q -w net.ipv4.ip_forward=0",
            "sysctl -q -w net.ipv4.conf.eth0.forwarding=1",
            "nft delete table ip turnout_tnt0",
            "sysctl -q -w net.ipv4.conf.tnt0.forwarding=0");
    assertThat(host.sysctls)
        .containsEntry("net.ipv4.ip_forward", "0")
        .containsEntry("net.ipv4.conf.eth0.forwarding", "1")
        .containsEntry("net.ipv4.conf.tnt0.forwarding", "0");
  }

  static final String DOCKER =
      String.join(
          "\n",
          "table ip nat {",
          "\tchain POSTROUTING {",
          "\t\ttype nat hook postrouting priority srcnat; policy accept;",
          "\t}",
          "}",
          "table ip filter {",
          "\tchain FORWARD {",
          "\t\ttype filter hook forward priority filter; policy drop;",
          "\t}",
          "\tchain DOCKER-USER {",
          "\t}",
          "}",
          "table ip turnout_tnt0 {",
          "\tchain forward {",
          "\t\ttype filter hook forward priority filter; policy drop;",
          "\t}",
          "}",
          "table inet firewalld {",
          "\tchain filter_FORWARD {",
          "\t\ttype filter hook forward priority filter + 10; policy accept;",
          "\t}",
          "\tchain filter_INPUT {",
          "\t\ttype filter hook input priority filter + 10; policy accept;",
          "\t}",
          "}",
          "");

  @Test
  void aFirewallThatDropsForwardedPacketsIsOpenedToTheTunFirst() throws IOException {
    host.outputs.put("nft list chains", DOCKER);
    host.sysctls.put("net.ipv4.ip_forward", "1"); // Docker's: no filter of Turnout's
    try (HostChanges changes = HostChanges.open(dir, host)) {
      ForwardedNat.apply(changes, "tnt0", "198.19.0.0/16", null, null);
      assertThat(changes.describe())
          .containsExactly(
              "nftaccept ip filter FORWARD iifname tnt0",
              "nftaccept ip filter FORWARD oifname tnt0",
              "nftaccept inet firewalld filter_FORWARD iifname tnt0",
              "nftaccept inet firewalld filter_FORWARD oifname tnt0",
              "sysctl net.ipv4.conf.tnt0.forwarding 0 1",
              "nft ip turnout_tnt0");
      assertThat(nftScript()).doesNotContain("drop");
    }
  }

  @Test
  void forwardedTcpIsMasqueradedToTheSessionPortsAndAnythingElseAsBefore() throws IOException {
    try (HostChanges changes = HostChanges.open(dir, host)) {
      ForwardedNat.apply(
          changes, "tnt0", "198.19.0.0/16", null, new ForwardedPorts(32768, 60999, 1024));
      String script = nftScript();
      String tcp =
          "ip saddr 198.19.0.0/16 oifname != \"tnt0\" meta l4proto tcp masquerade to :1024-29255";
      assertThat(script).contains(tcp);
      assertThat(script.indexOf(tcp))
          .as("before the rule for the rest")
          .isLessThan(script.indexOf("ip saddr 198.19.0.0/16 oifname != \"tnt0\" masquerade\n"));
    }
  }

  @Test
  void withForwardingOnAlreadyOnlyTheMasqueradeIsAdded() throws IOException {
    host.sysctls.put("net.ipv4.ip_forward", "1");
    host.sysctls.put("net.ipv4.conf.tnt0.forwarding", "1");
    try (HostChanges changes = HostChanges.open(dir, host)) {
      ForwardedNat.apply(changes, "tnt0", "198.19.0.0/16", null, null);
      assertThat(changes.describe()).containsExactly("nft ip turnout_tnt0");
      assertThat(nftScript()).contains("masquerade").doesNotContain("forward", "drop");
    }
  }

  @Test
  void captureAllAddsTheRuleOnceEvenWhenGatewayModeMadeIt() throws IOException {
    AutoRoute autoRoute = AutoRoute.builder("tnt0").gateway(true).build();
    try (HostChanges changes = HostChanges.open(dir, host)) {
      autoRoute.apply(changes);
      ForwardedNat.apply(changes, "tnt0", "198.19.0.0/16", autoRoute, null);
      assertThat(changes.describe())
          .containsOnlyOnce("rule -4 priority 9001 iif tnt0 lookup main")
          .doesNotHaveDuplicates();
    }
    host.sysctls.clear();
    host.log.clear();
    try (HostChanges changes = HostChanges.open(dir, host)) {
      ForwardedNat.apply(changes, "tnt0", "198.19.0.0/16", AutoRoute.builder("tnt0").build(), null);
      assertThat(changes.describe()).contains("rule -4 priority 9001 iif tnt0 lookup main");
    }
  }

  @Test
  void aMissingNftIsNamedBeforeAnyChange() throws IOException {
    host.failing.add("nft");
    HostChanges changes = HostChanges.open(dir, host);
    assertThatThrownBy(() -> ForwardedNat.apply(changes, "tnt0", "198.19.0.0/16", null, null))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("nft not found")
        .hasMessageContaining("apt-get install nftables");
    assertThat(changes.describe()).isEmpty();
    changes.close();
    assertThat(host.sysctls).isEmpty(); // nothing was set
  }

  @Test
  void badArgumentsAreRefusedBeforeAnyChange() throws IOException {
    try (HostChanges changes = HostChanges.open(dir, host)) {
      assertThatThrownBy(() -> ForwardedNat.apply(changes, "tnt0", "2001:db8::/64", null, null))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> ForwardedNat.apply(changes, "tnt0", "198.19.0.1/16", null, null))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> ForwardedNat.apply(changes, "a b", "198.19.0.0/16", null, null))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(host.log).isEmpty();
  }

  @Test
  void theTableNameIsAnNftIdentifierPerDevice() {
    assertThat(ForwardedNat.tableName("tnt0")).isEqualTo("turnout_tnt0");
    assertThat(ForwardedNat.tableName("tun-a.1")).isEqualTo("turnout_tun_a_1");
    assertThat(Change.NFT_TABLE.matcher(ForwardedNat.tableName("abcdefghijklmno")).matches())
        .isTrue();
  }

  private String nftScript() {
    return host.log.stream().filter(l -> l.startsWith("nft add table")).findFirst().orElseThrow();
  }
}
