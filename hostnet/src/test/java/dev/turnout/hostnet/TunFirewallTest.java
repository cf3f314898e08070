package dev.turnout.hostnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TunFirewallTest {
  @TempDir Path dir;
  final RecordingCommands host = new RecordingCommands();

  /** ufw's tables through iptables-nft, firewalld's, a table of Turnout's and harmless chains. */
  static final String CHAINS =
      String.join(
          "\n",
          "table ip filter {",
          "\tchain INPUT {",
          "\t\ttype filter hook input priority filter; policy drop;",
          "\t}",
          "\tchain OUTPUT {",
          "\t\ttype filter hook output priority filter; policy drop;",
          "\t}",
          "\tchain ufw-before-input {",
          "\t}",
          "}",
          "table ip6 filter {",
          "\tchain INPUT {",
          "\t\ttype filter hook input priority filter; policy drop;",
          "\t}",
          "}",
          "table inet filter {",
          "\tchain input {",
          "\t\ttype filter hook input priority filter; policy accept;",
          "\t}",
          "}",
          "table ip turnout_tnt0 {",
          "\tchain input {",
          "\t\ttype filter hook input priority filter; policy drop;",
          "\t}",
          "}",
          "table inet firewalld {",
          "\tchain filter_INPUT {",
          "\t\ttype filter hook input priority filter + 10; policy accept;",
          "\t}",
          "\tchain filter_FORWARD {",
          "\t\ttype filter hook forward priority filter + 10; policy accept;",
          "\t}",
          "}",
          "");

  @Test
  void inputChainsThatDropByDefaultAreFoundOursAndOtherHooksExcepted() {
    assertThat(BaseChains.dropping(CHAINS, "input"))
        .extracting(Object::toString)
        .containsExactly("ip filter INPUT", "ip6 filter INPUT", "inet firewalld filter_INPUT");
    assertThat(BaseChains.dropping("", "input")).isEmpty();
  }

  @Test
  void eachIsOpenedToTheTunAndOnlyItsMarkedRulesAreDeletedAtClose() throws IOException {
    host.outputs.put("nft list chains", CHAINS);
    HostChanges changes = HostChanges.open(dir, host);

    assertThat(TunFirewall.openInput(changes, "tnt0")).hasSize(3);

    String accept = "iifname \"tnt0\" accept comment \"turnout: accept from tnt0\"";
    assertThat(host.log)
        .contains(
            "nft insert rule ip filter INPUT " + accept,
            "nft insert rule ip6 filter INPUT " + accept,
            "nft insert rule inet firewalld filter_INPUT " + accept);
    assertThat(changes.describe())
        .containsExactly(
            "nftaccept ip filter INPUT iifname tnt0",
            "nftaccept ip6 filter INPUT iifname tnt0",
            "nftaccept inet firewalld filter_INPUT iifname tnt0");
    // By close, the firewall has added rules of its own, one of them another TUN's accept; the
    // ip6 chain is gone (a firewall reload).
    host.outputs.put(
        "nft -a list chain ip filter INPUT",
        String.join(
            "\n",
            "table ip filter {",
            "\tchain INPUT { # handle 1",
            "\t\ttype filter hook input priority filter; policy drop;",
            "\t\tiifname \"tnt1\" accept comment \"turnout: accept from tnt1\" # handle 9",
            "\t\t" + accept + " # handle 7",
            "\t\tct state established,related accept # handle 3",
            "\t}",
            "}"));
    host.outputs.put(
        "nft -a list chain inet firewalld filter_INPUT",
        "table inet firewalld {\n\tchain filter_INPUT { # handle 4\n\t\t"
            + accept
            + " # handle 12\n");
    host.failing.add("nft -a list chain ip6 filter INPUT");
    host.log.clear();

    changes.close();

    assertThat(host.log.stream().filter(line -> line.startsWith("nft delete")))
        .containsExactly(
            "nft delete rule inet firewalld filter_INPUT handle 12",
            "nft delete rule ip filter INPUT handle 7");
  }

  @Test
  void forwardChainsAreOpenedBothWaysOnceHoweverOftenAsked() throws IOException {
    host.outputs.put("nft list chains", ForwardedNatTest.DOCKER);
    try (HostChanges changes = HostChanges.open(dir, host)) {
      assertThat(TunFirewall.openForward(changes, "tnt0"))
          .containsExactly("ip filter FORWARD", "inet firewalld filter_FORWARD");
      assertThat(host.log)
          .contains(
              "nft insert rule ip filter FORWARD oifname \"tnt0\" accept comment"
                  + " \"turnout: accept to tnt0\"");
      host.outputs.put(
          "nft -a list chain ip filter FORWARD",
          listing("ip filter", "FORWARD", "iifname", "from", "oifname", "to"));
      host.outputs.put(
          "nft -a list chain inet firewalld filter_FORWARD",
          listing("inet firewalld", "filter_FORWARD", "iifname", "from", "oifname", "to"));
      host.log.clear();
      // gateway mode, then direct-nat
      assertThat(TunFirewall.openForward(changes, "tnt0")).isEmpty();
      assertThat(host.log).noneMatch(line -> line.startsWith("nft insert"));

      assertThat(changes.describe())
          .containsExactly(
              "nftaccept ip filter FORWARD iifname tnt0",
              "nftaccept ip filter FORWARD oifname tnt0",
              "nftaccept inet firewalld filter_FORWARD iifname tnt0",
              "nftaccept inet firewalld filter_FORWARD oifname tnt0");
    }
  }

  @Test
  void aChainReloadedWithoutItsAcceptGetsItBackWithoutANewJournalEntry() throws IOException {
    host.outputs.put("nft list chains", CHAINS);
    try (HostChanges changes = HostChanges.open(dir, host)) {
      TunFirewall.openInput(changes, "tnt0");
      // ufw reload rebuilt ip filter INPUT; the others kept the accept.
      host.outputs.put("nft -a list chain ip filter INPUT", "table ip filter {\n}\n");
      host.outputs.put("nft -a list chain ip6 filter INPUT", listing("ip6 filter", "INPUT"));
      host.outputs.put(
          "nft -a list chain inet firewalld filter_INPUT",
          listing("inet firewalld", "filter_INPUT"));
      host.log.clear();

      assertThat(TunFirewall.openInput(changes, "tnt0")).containsExactly("ip filter INPUT");

      assertThat(host.log.stream().filter(line -> line.startsWith("nft insert")))
          .containsExactly(
              "nft insert rule ip filter INPUT iifname \"tnt0\" accept comment"
                  + " \"turnout: accept from tnt0\"");
      assertThat(changes.describe()).hasSize(3);
    }
  }

  @Test
  void aReopeningListsTheChainsOnceAndOpensForwardChainsOnlyWhenAsked() throws IOException {
    String forwardOnly =
        "table ip filter {\n\tchain FORWARD {\n"
            + "\t\ttype filter hook forward priority filter; policy drop;\n\t}\n}\n";
    host.outputs.put("nft list chains", forwardOnly);
    try (HostChanges changes = HostChanges.open(dir, host)) {
      assertThat(TunFirewall.reopen(changes, "tnt0", false)).isEmpty();
      assertThat(TunFirewall.reopen(changes, "tnt0", true)).containsExactly("ip filter FORWARD");
      assertThat(host.log.stream().filter(line -> line.equals("nft list chains"))).hasSize(2);
      assertThat(changes.describe())
          .containsExactly(
              "nftaccept ip filter FORWARD iifname tnt0",
              "nftaccept ip filter FORWARD oifname tnt0");
    }
  }

  /** {@code nft -a list chain} of a chain holding Turnout's marked accepts (match, direction). */
  private static String listing(String table, String chain, String... matches) {
    StringBuilder text = new StringBuilder("table " + table + " {\n\tchain " + chain + " {\n");
    if (matches.length == 0) {
      matches = new String[] {"iifname", "from"};
    }
    for (int i = 0; i < matches.length; i += 2) {
      text.append("\t\t")
          .append(matches[i])
          .append(" \"tnt0\" accept comment \"turnout: accept ")
          .append(matches[i + 1])
          .append(" tnt0\" # handle ")
          .append(20 + i)
          .append('\n');
    }
    return text.append("\t}\n}\n").toString();
  }

  @Test
  void withoutNftNothingIsOpenedAndNothingFails() throws IOException {
    host.failing.add("nft");
    try (HostChanges changes = HostChanges.open(dir, host)) {
      assertThat(TunFirewall.openInput(changes, "tnt0")).isEmpty();
      assertThat(TunFirewall.openForward(changes, "tnt0")).isEmpty();
      assertThat(changes.describe()).isEmpty();
    }
  }

  @Test
  void aHostWithoutDroppingChainsOrWithoutNftNeedsNothing() throws IOException {
    host.outputs.put("nft list chains", "table inet filter {\n}\n");
    try (HostChanges changes = HostChanges.open(dir, host)) {
      assertThat(TunFirewall.reopen(changes, "tnt0", true)).isEmpty();
      host.failing.add("nft list chains");
      assertThatThrownBy(() -> TunFirewall.reopen(changes, "tnt0", true))
          .isInstanceOf(IOException.class);
      assertThat(changes.describe()).isEmpty();
    }
  }

  @Test
  void aJournalEntryNamingSomethingNftWouldReadAsMoreIsRefused() {
    assertThat(Change.decode("nftaccept ip filter INPUT iifname tnt0"))
        .isEqualTo(new Change.NftAccept("ip", "filter", "INPUT", "iifname", "tnt0"));
    for (String line :
        java.util.List.of(
            "nftaccept ip filter INPUT%3Bflush+ruleset iifname tnt0",
            "nftaccept ip filter+INPUT INPUT iifname tnt0",
            "nftaccept bridge filter INPUT iifname tnt0",
            "nftaccept ip filter INPUT iifname tnt0%22",
            "nftaccept ip filter INPUT drop tnt0",
            "nftaccept ip filter INPUT tnt0")) {
      assertThatThrownBy(() -> Change.decode(line))
          .as(line)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  /** ufw's INPUT through iptables-legacy, as {@code iptables-legacy -S INPUT} lists it. */
  static final String LEGACY_UFW =
      String.join(
          "\n",
          "-P INPUT DROP",
          "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
          "-A INPUT -i lo -j ACCEPT",
          "");

  static final String LEGACY_ACCEPT =
      "-i tnt0 -m comment --comment turnout: accept from tnt0 -j ACCEPT";

  @Test
  void legacyChainsDropByPolicyOrByAnUnconditionalLastRule() {
    assertThat(BaseChains.legacyDrops(LEGACY_UFW, "INPUT")).isTrue();
    assertThat(BaseChains.legacyDrops("-P FORWARD DROP\n", "FORWARD")).isTrue();
    assertThat(BaseChains.legacyDrops("-P FORWARD DROP\n", "INPUT")).isFalse();
    String firewalld =
        "-P INPUT ACCEPT\n-A INPUT -i lo -j ACCEPT\n"
            + "-A INPUT -j REJECT --reject-with icmp-host-prohibited\n";
    assertThat(BaseChains.legacyDrops(firewalld, "INPUT")).isTrue();
    assertThat(BaseChains.legacyDrops("-P INPUT ACCEPT\n-A INPUT -j DROP\n", "INPUT")).isTrue();
    // a drop of some packets, or none at all, is not a chain that drops by default
    assertThat(BaseChains.legacyDrops("-P INPUT ACCEPT\n-A INPUT -p tcp -j DROP\n", "INPUT"))
        .isFalse();
    assertThat(BaseChains.legacyDrops("-P INPUT ACCEPT\n", "INPUT")).isFalse();
  }

  /** A host without nft whose kernel lists {@code tables} and whose legacy INPUT is ufw's. */
  private HostChanges legacyUfwHost(String tables) throws IOException {
    host.outputs.put("nft list chains", "");
    host.outputs.put("cat /proc/net/ip_tables_names", tables);
    host.outputs.put("iptables-legacy -w -S INPUT", LEGACY_UFW);
    return HostChanges.open(dir, host);
  }

  @Test
  void aLegacyChainIsOpenedPutBackAfterAReloadAndItsRuleDeletedAtClose() throws IOException {
    HostChanges changes = legacyUfwHost("mangle\nfilter\n");

    assertThat(TunFirewall.openInput(changes, "tnt0"))
        .containsExactly("iptables-legacy filter INPUT");
    assertThat(host.log).contains("iptables-legacy -w -I INPUT 1 " + LEGACY_ACCEPT);
    assertThat(host.log).noneMatch(line -> line.startsWith("ip6tables-legacy"));
    assertThat(changes.describe()).containsExactly("legacyaccept -4 INPUT -i tnt0");
    // still there: nothing to do
    assertThat(TunFirewall.reopenLegacy(changes, "tnt0", false)).isEmpty();
    // a reload lost it: inserted again, journaled once
    host.failing.add("iptables-legacy -w -C INPUT");
    assertThat(TunFirewall.reopenLegacy(changes, "tnt0", false))
        .containsExactly("iptables-legacy filter INPUT");
    assertThat(host.log.stream().filter(l -> l.contains(" -I INPUT 1 "))).hasSize(2);
    assertThat(changes.describe()).containsExactly("legacyaccept -4 INPUT -i tnt0");

    host.log.clear();
    host.failing.add("iptables-legacy -w -D INPUT");
    changes.close(); // the rule already gone: one attempt, no failure
    assertThat(host.log)
        .containsExactly(
            "cat /proc/net/ip_tables_names", "iptables-legacy -w -D INPUT " + LEGACY_ACCEPT);
  }

  @Test
  void aLegacyAcceptWhoseTableIsGoneIsNotLookedForAtUndo() throws IOException {
    HostChanges changes = legacyUfwHost("filter\n");
    TunFirewall.openInput(changes, "tnt0");
    host.outputs.remove("cat /proc/net/ip_tables_names"); // the legacy modules were unloaded
    host.log.clear();
    changes.close();
    // iptables-legacy -D would have loaded the modules and made the table again
    assertThat(host.log).containsExactly("cat /proc/net/ip_tables_names");
  }

  @Test
  void everyCopyOfALegacyAcceptIsDeletedAtCloseBoundedly() throws IOException {
    host.outputs.put("nft list chains", "");
    host.outputs.put("cat /proc/net/ip6_tables_names", "filter\n");
    host.outputs.put("ip6tables-legacy -w -S FORWARD", "-P FORWARD DROP\n");
    HostChanges changes = HostChanges.open(dir, host);
    assertThat(TunFirewall.openForward(changes, "tnt0"))
        .containsExactly("ip6tables-legacy filter FORWARD");
    assertThat(changes.describe())
        .containsExactly("legacyaccept -6 FORWARD -i tnt0", "legacyaccept -6 FORWARD -o tnt0");
    host.log.clear();
    changes.close(); // this fake host always finds one more copy: deleting stops at 16 each
    assertThat(host.log.stream().filter(line -> line.startsWith("ip6tables-legacy -w -D")))
        .hasSize(32);
    assertThat(host.log).allMatch(line -> line.contains("-D FORWARD") || line.startsWith("cat "));
  }

  @Test
  void aHostWithoutLegacyTablesIsNeverAskedByIptablesLegacy() throws IOException {
    host.outputs.put("nft list chains", CHAINS);
    try (HostChanges changes = HostChanges.open(dir, host)) {
      TunFirewall.reopen(changes, "tnt0", true);
      assertThat(changes.hasLegacyFilter("-4")).isFalse();
    }
    // asking iptables-legacy would load its modules and make its tables
    assertThat(host.log).noneMatch(line -> line.contains("tables-legacy"));
  }

  @Test
  void aLegacyJournalEntryNamingAnotherChainOrOptionIsRefused() {
    assertThat(Change.decode("legacyaccept -4 INPUT -i tnt0"))
        .isEqualTo(new Change.LegacyAccept("-4", "INPUT", "-i", "tnt0"));
    for (String line :
        java.util.List.of(
            "legacyaccept -4 OUTPUT -i tnt0",
            "legacyaccept -4 INPUT -j tnt0",
            "legacyaccept -4 INPUT -i tnt0+--flush",
            "legacyaccept 4 INPUT -i tnt0",
            "legacyaccept -4 INPUT -i")) {
      assertThatThrownBy(() -> Change.decode(line))
          .as(line)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
