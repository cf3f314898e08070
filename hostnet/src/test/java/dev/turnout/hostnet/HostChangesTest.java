package dev.turnout.hostnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostChangesTest {
  @TempDir Path dir;
  final RecordingCommands host = new RecordingCommands();

  @Test
  void closeUndoesNewestFirstAndDeletesTheJournal() throws IOException {
    HostChanges changes = HostChanges.open(dir, host);
    changes.setSysctl("net.ipv4.ip_forward", "1");
    changes.addRoute("-4", List.of("default", "dev", "tun0", "table", "2022"));
    changes.addRule("-4", List.of("priority", "9005", "lookup", "2022"));
    assertThat(HostChanges.hasJournal(dir)).isTrue();
    host.log.clear();

    changes.close();

    assertThat(host.log)
        .containsExactly(
            "ip -4 rule del priority 9005 lookup 2022",
            "ip -4 route del default dev tun0 table 2022",
            "sysctl -n net.ipv4.ip_forward",
            "sysctl -q -w net.ipv4.ip_forward=0");
    assertThat(HostChanges.hasJournal(dir)).isFalse();
    assertThat(host.sysctls).containsEntry("net.ipv4.ip_forward", "0");
  }

  @Test
  void theJournalIsWrittenBeforeTheChangeIsMade() throws IOException {
    host.failing.add("ip -4 rule add");
    HostChanges changes = HostChanges.open(dir, host);
    assertThatThrownBy(() -> changes.addRule("-4", List.of("priority", "9000", "lookup", "2022")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("ip -4 rule add priority 9000 lookup 2022")
        .hasMessageContaining("No such file");
    assertThat(Journal.read(dir.resolve("journal")))
        .containsExactly(new Change.Rule("-4", List.of("priority", "9000", "lookup", "2022")));
    changes.close(); // the undo of a change that never took is tolerated
    assertThat(HostChanges.hasJournal(dir)).isFalse();
  }

  @Test
  void aCrashedRunIsUndoneFromTheJournalAtTheNextStart() throws IOException {
    HostChanges crashed = HostChanges.open(dir, host);
    crashed.addRoute("-4", List.of("default", "dev", "tun0", "table", "2022"));
    crashed.addRule("-4", List.of("priority", "9005", "lookup", "2022"));
    crashed.abandon();
    host.log.clear();

    HostChanges next = HostChanges.open(dir, host);

    assertThat(host.log)
        .containsExactly(
            "ip -4 rule del priority 9005 lookup 2022",
            "ip -4 route del default dev tun0 table 2022");
    assertThat(next.describe()).isEmpty();
    next.close();
  }

  @Test
  void cleanupUndoesExactlyTheJournalAndToleratesWhatIsGone() throws IOException {
    HostChanges crashed = HostChanges.open(dir, host);
    crashed.addRule("-4", List.of("priority", "9000", "fwmark", "0x2022", "lookup", "main"));
    crashed.addRule("-4", List.of("priority", "9005", "lookup", "2022"));
    crashed.abandon();
    host.log.clear();
    host.failing.add("ip -4 rule del priority 9000");

    assertThat(HostChanges.cleanup(dir, host)).isEqualTo(2);

    assertThat(host.log)
        .containsExactly(
            "ip -4 rule del priority 9005 lookup 2022",
            "ip -4 rule del priority 9000 fwmark 0x2022 lookup main");
    assertThat(HostChanges.hasJournal(dir)).isFalse();
    assertThat(HostChanges.cleanup(dir, host)).isZero();
  }

  @Test
  void aSysctlChangedBySomeoneElseIsLeftAlone() throws IOException {
    HostChanges changes = HostChanges.open(dir, host);
    changes.setSysctl("net.ipv4.ip_forward", "1");
    host.sysctls.put("net.ipv4.ip_forward", "0"); // an admin set it back meanwhile... to 0
    host.sysctls.put("net.ipv4.ip_forward", "7");
    changes.close();
    assertThat(host.sysctls).containsEntry("net.ipv4.ip_forward", "7");
  }

  @Test
  void aSysctlAlreadySetIsNotJournaled() throws IOException {
    host.sysctls.put("net.ipv4.ip_forward", "1");
    try (HostChanges changes = HostChanges.open(dir, host)) {
      changes.setSysctl("net.ipv4.ip_forward", "1");
      assertThat(changes.describe()).isEmpty();
    }
  }

  @Test
  void aSecondInstanceIsRefusedWithTheHoldersPid() throws IOException {
    try (HostChanges first = HostChanges.open(dir, host)) {
      assertThatThrownBy(() -> HostChanges.open(dir, host))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("pid " + ProcessHandle.current().pid());
      assertThatThrownBy(() -> HostChanges.cleanup(dir, host))
          .hasMessageContaining("another Turnout");
    }
    HostChanges.open(dir, host).close(); // free again
  }

  @Test
  void resolvConfIsRestoredOnlyIfStillOurs() throws IOException {
    Path resolv = dir.resolve("resolv.conf");
    Files.writeString(resolv, "nameserver 192.0.2.1\n");
    Path state = Files.createDirectory(dir.resolve("state"));
    try (HostChanges changes = HostChanges.open(state, host)) {
      assertThat(HostChanges.replacedResolvConf(state)).isEmpty();
      changes.replaceResolvConf(resolv, "nameserver 198.18.0.1\n");
      assertThat(Files.readString(resolv)).isEqualTo("nameserver 198.18.0.1\n");
      // what the system nameserver reads meanwhile: the host's own, not Turnout's
      assertThat(HostChanges.replacedResolvConf(state)).contains("nameserver 192.0.2.1\n");
    }
    assertThat(Files.readString(resolv)).isEqualTo("nameserver 192.0.2.1\n");
    assertThat(HostChanges.replacedResolvConf(state)).isEmpty();

    try (HostChanges changes = HostChanges.open(state, host)) {
      changes.replaceResolvConf(resolv, "nameserver 198.18.0.1\n");
      Files.writeString(resolv, "nameserver 203.0.113.9\n"); // NetworkManager rewrote it
    }
    assertThat(Files.readString(resolv)).isEqualTo("nameserver 203.0.113.9\n");
  }

  @Test
  void aSymlinkedResolvConfGetsItsSymlinkBack() throws IOException {
    Path target = Files.writeString(dir.resolve("stub-resolv.conf"), "nameserver 127.0.0.53\n");
    Path resolv = Files.createSymbolicLink(dir.resolve("resolv.conf"), target);
    Path state = Files.createDirectory(dir.resolve("state"));
    HostChanges crashed = HostChanges.open(state, host);
    crashed.replaceResolvConf(resolv, "nameserver 198.18.0.1\n");
    assertThat(Files.isSymbolicLink(resolv)).isFalse();
    assertThat(HostChanges.replacedResolvConf(state)).contains("nameserver 127.0.0.53\n");
    assertThat(Files.readString(target)).as("the link target is untouched").contains("127.0.0.53");
    crashed.abandon();

    HostChanges.cleanup(state, host);

    assertThat(Files.isSymbolicLink(resolv)).isTrue();
    assertThat(Files.readSymbolicLink(resolv)).isEqualTo(target);
  }

  @Test
  void cleanupWithoutADeviceFindsEveryJournalOfTheNamespace() throws IOException {
    HostChanges one = HostChanges.open(dir.resolve("cbtun0"), host);
    one.addRule("-4", List.of("priority", "9005", "lookup", "2022"));
    one.abandon();
    HostChanges two = HostChanges.open(dir.resolve("turnout0"), host);
    two.addRule("-4", List.of("priority", "9105", "lookup", "2023"));
    two.abandon();
    Files.createDirectories(dir.resolve("idle0")); // a state directory without a journal
    host.log.clear();

    assertThat(HostChanges.cleanupAll(dir, host))
        .containsExactly(
            java.util.Map.entry(dir.resolve("cbtun0"), 1),
            java.util.Map.entry(dir.resolve("turnout0"), 1));
    assertThat(host.log)
        .containsExactlyInAnyOrder(
            "ip -4 rule del priority 9005 lookup 2022", "ip -4 rule del priority 9105 lookup 2023");
    assertThat(HostChanges.cleanupAll(dir, host)).isEmpty();
  }

  @Test
  void theStateDirectoryAndJournalArePrivate() throws IOException {
    Path state = dir.resolve("run/turnout/tun9");
    HostChanges changes = HostChanges.open(state, host);
    assertThat(Files.getPosixFilePermissions(state))
        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    assertThat(Files.getPosixFilePermissions(state.resolve("journal")))
        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    changes.close();
  }

  @Test
  void aJournalOthersCanWriteIsNotTrusted() throws IOException {
    HostChanges crashed = HostChanges.open(dir, host);
    crashed.addRule("-4", List.of("priority", "9005", "lookup", "2022"));
    crashed.abandon();
    Files.setPosixFilePermissions(
        dir.resolve("journal"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
    host.log.clear();

    assertThatThrownBy(() -> HostChanges.cleanup(dir, host))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not trusting it");
    assertThat(host.log).isEmpty();
  }

  @Test
  void aDeviceNameCannotLeaveTheStateDirectory() {
    assertThatThrownBy(() -> HostChanges.defaultStateDir("../../etc"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HostChanges.defaultStateDir(".."))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(HostChanges.defaultStateDir("cbtun0").getFileName().toString()).isEqualTo("cbtun0");
  }

  @Test
  void anNftTableIsMadeInOneCommandAndDeletedOnClose() throws IOException {
    HostChanges changes = HostChanges.open(dir, host);
    changes.addNftTable("ip", "turnout_tnt0", "  chain nat {\n  }\n");
    assertThat(Journal.read(dir.resolve("journal")))
        .containsExactly(new Change.NftTable("ip", "turnout_tnt0"));
    assertThat(host.log)
        .containsExactly(
            "nft --version",
            "nft add table ip turnout_tnt0\ndelete table ip turnout_tnt0\n"
                + "table ip turnout_tnt0 {\n  chain nat {\n  }\n\n}\n");
    host.log.clear();

    changes.close();

    assertThat(host.log).containsExactly("nft delete table ip turnout_tnt0");
  }

  @Test
  void onlyTurnoutsOwnTablesOfIpFamiliesAreMade() throws IOException {
    try (HostChanges changes = HostChanges.open(dir, host)) {
      assertThatThrownBy(() -> changes.addNftTable("ip", "filter", ""))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> changes.addNftTable("bridge", "turnout_tnt0", ""))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(changes.describe()).isEmpty();
    }
    assertThat(host.log).isEmpty();
  }

  @Test
  void withoutNftNothingIsJournaledAndTheMessageSaysWhatToInstall() throws IOException {
    host.failing.add("nft");
    try (HostChanges changes = HostChanges.open(dir, host)) {
      assertThatThrownBy(() -> changes.addNftTable("ip", "turnout_tnt0", ""))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("nft not found")
          .hasMessageContaining("apt-get install nftables");
      assertThat(Journal.read(dir.resolve("journal"))).isEmpty();
    }
  }

  @Test
  void cleanupToleratesATableAlreadyGone() throws IOException {
    HostChanges crashed = HostChanges.open(dir, host);
    crashed.addRule("-4", List.of("priority", "9001", "iif", "tnt0", "lookup", "main"));
    crashed.addNftTable("ip", "turnout_tnt0", "");
    crashed.abandon();
    host.log.clear();
    host.failing.add("nft delete"); // a reboot took it

    assertThat(HostChanges.cleanup(dir, host)).isEqualTo(2);

    assertThat(host.log)
        .containsExactly(
            "nft delete table ip turnout_tnt0",
            "ip -4 rule del priority 9001 iif tnt0 lookup main");
    assertThat(HostChanges.hasJournal(dir)).isFalse();
  }

  @Test
  void theSysctlOfADeviceThatIsGoneIsSkippedAndTheRestUndone() throws IOException {
    HostChanges crashed = HostChanges.open(dir, host);
    crashed.setSysctl("net.ipv4.ip_forward", "1");
    crashed.setSysctl("net.ipv4.conf.tnt0.forwarding", "1");
    crashed.abandon();
    host.log.clear();
    host.failing.add("sysctl -n net.ipv4.conf.tnt0."); // the TUN is removed at exit

    assertThat(HostChanges.cleanup(dir, host)).isEqualTo(2);

    assertThat(host.log)
        .containsExactly(
            "sysctl -n net.ipv4.conf.tnt0.forwarding",
            "sysctl -n net.ipv4.ip_forward",
            "sysctl -q -w net.ipv4.ip_forward=0");
  }

  @Test
  void aRuleMadeAlreadyIsNotAddedAgainAndUndoneOnce() throws IOException {
    HostChanges changes = HostChanges.open(dir, host);
    changes.addRule("-4", List.of("priority", "9001", "iif", "tnt0", "lookup", "main"));
    changes.addRule("-4", List.of("priority", "9001", "iif", "tnt0", "lookup", "main"));
    assertThat(changes.describe()).hasSize(1);
    host.log.clear();
    changes.close();
    assertThat(host.log).containsExactly("ip -4 rule del priority 9001 iif tnt0 lookup main");
  }
}
