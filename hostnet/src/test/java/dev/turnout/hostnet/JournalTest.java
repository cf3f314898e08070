package dev.turnout.hostnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {
  @TempDir Path dir;

  static final Change RULE =
      new Change.Rule("-4", List.of("priority", "9000", "fwmark", "0x2022", "lookup", "main"));
  static final Change ROUTE =
      new Change.Route("-4", List.of("default", "dev", "turnout0", "table", "2022"));
  static final Change SYSCTL = new Change.Sysctl("net.ipv4.conf.all.rp_filter", "1", "2");
  static final Change RESOLV =
      new Change.ResolvConf("/etc/resolv.conf", "/run/turnout/x y/resolv.conf.orig", true, "ab");
  static final Change LINK = new Change.LinkDns("turnout0");
  static final Change NFT = new Change.NftTable("ip", "turnout_tnt0");

  @Test
  void writesAndReadsBackEveryKindInOrder() throws IOException {
    Path path = dir.resolve("journal");
    try (Journal journal = Journal.create(path)) {
      for (Change c : List.of(RULE, ROUTE, SYSCTL, RESOLV, LINK, NFT)) {
        journal.append(c);
      }
    }
    assertThat(Journal.read(path)).containsExactly(RULE, ROUTE, SYSCTL, RESOLV, LINK, NFT);
    assertThat(Files.readAllLines(path)).contains("nft ip turnout_tnt0");
  }

  @Test
  void aTruncatedLastLineIsIgnored() throws IOException {
    Path path = dir.resolve("journal");
    try (Journal journal = Journal.create(path)) {
      journal.append(RULE);
      journal.append(ROUTE);
    }
    String full = Change.encode(SYSCTL);
    Files.writeString(
        path,
        full.substring(0, full.length() / 2),
        StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    assertThat(Journal.read(path)).containsExactly(RULE, ROUTE);
  }

  @Test
  void anUnreadableLineIsSkippedAndTheRestKept() throws IOException {
    Path path = dir.resolve("journal");
    Files.writeString(
        path,
        Journal.HEADER + "\n" + Change.encode(RULE) + "\nbogus x y\n" + Change.encode(LINK) + "\n");
    assertThat(Journal.read(path)).containsExactly(RULE, LINK);
  }

  @Test
  void aMissingJournalIsEmptyAndAForeignFileIsRefused() throws IOException {
    assertThat(Journal.read(dir.resolve("none"))).isEmpty();
    Path foreign = dir.resolve("foreign");
    Files.writeString(foreign, "hello\n");
    assertThatThrownBy(() -> Journal.read(foreign)).hasMessageContaining("not a Turnout journal");
  }

  @Test
  void anExistingJournalIsNeverOverwritten() throws IOException {
    Path path = dir.resolve("journal");
    Journal.create(path).close();
    assertThatThrownBy(() -> Journal.create(path)).isInstanceOf(IOException.class);
  }

  @Test
  void linesTurnoutNeverWritesAreSkippedNotRun() throws IOException {
    Path journal = dir.resolve("journal");
    Files.writeString(
        journal,
        String.join(
            "\n",
            Journal.HEADER,
            "rule -4 priority 0 lookup local", // the kernel's own rule
            "rule -4 priority 32766 lookup main",
            "rule -4 lookup 2022", // no priority: cannot be undone exactly
            "route -4 default via 203.0.113.1 table 254", // the main table
            "route -4 default via 203.0.113.1", // no table at all
            "sysctl kernel.core_pattern 1 2",
            "sysctl net.ipv4.ip_forward 0 %7Ccat",
            "resolv /etc/passwd /tmp/x false 00",
            "resolv etc/resolv.conf /tmp/x false 00",
            "linkdns ..%2F..",
            "rule -4 priority 9005 lookup 2022%3Brm",
            "nft ip filter", // someone else's tables
            "nft inet docker_turnout",
            "nft ip nat",
            "nft bridge turnout_tnt0", // a family Turnout does not use
            "nft netdev turnout_tnt0",
            "nft ip turnout_tnt0%3B+flush+ruleset",
            "nft ip turnout_tnt0 extra",
            "nft ip",
            "rule -4 priority 9005 lookup 2022",
            "nft inet turnout_tnt0",
            ""));
    assertThat(Journal.read(journal))
        .containsExactly(
            new Change.Rule("-4", List.of("priority", "9005", "lookup", "2022")),
            new Change.NftTable("inet", "turnout_tnt0"));
  }
}
