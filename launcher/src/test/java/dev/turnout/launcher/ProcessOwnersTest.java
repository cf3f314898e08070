package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.rules.ProcessInfo;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batch lookup against a hand-made /proc: socket tables, descriptors, names, uids. */
class ProcessOwnersTest {
  private static final String HEADER =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout"
          + " inode\n";

  @TempDir Path proc;

  private void process(int pid, String name, String exe, int... inodes) throws Exception {
    Path dir = Files.createDirectories(proc.resolve(pid + "/fd"));
    Files.writeString(proc.resolve(pid + "/comm"), name + "\n");
    Files.createSymbolicLink(proc.resolve(pid + "/exe"), Path.of(exe));
    Files.createSymbolicLink(dir.resolve("0"), Path.of("/dev/null"));
    for (int i = 0; i < inodes.length; i++) {
      Files.createSymbolicLink(
          dir.resolve(Integer.toString(i + 3)), Path.of("socket:[" + inodes[i] + "]"));
    }
  }

  private static String row(InetSocketAddress local, int inode) {
    String address = ProcessLookup.procAddress(local.getAddress(), local.getPort(), false);
    return "   0: "
        + address
        + " 0A000000:0050 01 00000000:00000000 00:00000000 00000000     0        0 "
        + inode
        + " 1 0000000000000000 20 4 30 10 -1\n";
  }

  @Test
  void manySocketsAreFoundInOneWalk() throws Exception {
    InetAddress tun = InetAddress.getByName("198.18.0.1");
    InetSocketAddress curl = new InetSocketAddress(tun, 40000);
    InetSocketAddress dig = new InetSocketAddress(tun, 50000);
    InetSocketAddress gone = new InetSocketAddress(tun, 40001);
    Files.createDirectories(proc.resolve("net"));
    Files.writeString(proc.resolve("net/tcp"), HEADER + row(curl, 1111) + row(gone, 0));
    Files.writeString(proc.resolve("net/udp"), HEADER + row(dig, 2222));
    process(10, "curl", "/usr/bin/curl", 1111);
    process(20, "dig", "/usr/bin/dig", 3333, 2222);
    Files.createDirectories(proc.resolve("self"));

    Map<InetSocketAddress, ProcessInfo> owners =
        new ProcessLookup(proc).ownersOf(List.of(curl, gone), List.of(dig));
    assertThat(owners)
        .containsEntry(curl, new ProcessInfo("curl", "/usr/bin/curl", 0))
        .containsEntry(dig, new ProcessInfo("dig", "/usr/bin/dig", 0))
        .doesNotContainKey(gone);
    assertThat(new ProcessLookup(proc.resolve("missing")).ownersOf(List.of(curl), List.of()))
        .isEmpty();
  }
}
