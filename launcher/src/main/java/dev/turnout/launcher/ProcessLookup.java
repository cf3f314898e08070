package dev.turnout.launcher;

import dev.turnout.rules.ProcessInfo;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the process that owns a local TCP socket, for PROCESS-NAME and PROCESS-PATH rules. With the
 * NAT design the original source address and port of every captured connection are known, so the
 * socket can be found in {@code /proc/net/tcp} (or {@code tcp6}) and its inode in some process's
 * {@code fd} directory. This walks /proc and is slow; the rule engine calls it only when such a
 * rule is reached.
 */
final class ProcessLookup {
  private static final Logger log = LoggerFactory.getLogger(ProcessLookup.class);

  private final Path proc;

  ProcessLookup(Path proc) {
    this.proc = proc;
  }

  /** The owner of the TCP socket bound to {@code local}, or null if it cannot be found. */
  ProcessInfo ownerOf(InetSocketAddress local) {
    try {
      String inode = socketInode(local);
      return inode == null ? null : processWithSocket("socket:[" + inode + "]");
    } catch (IOException | RuntimeException e) {
      log.debug("process lookup for {} failed: {}", local, e.toString());
      return null;
    }
  }

  private String socketInode(InetSocketAddress local) throws IOException {
    String wanted = procAddress(local.getAddress(), local.getPort());
    boolean v6 = !(local.getAddress() instanceof Inet4Address);
    List<String> lines = Files.readAllLines(proc.resolve(v6 ? "net/tcp6" : "net/tcp"));
    for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
      String[] fields = line.trim().split("\\s+");
      if (fields.length > 9 && fields[1].equals(wanted)) {
        return fields[9];
      }
    }
    return null;
  }

  /**
   * {@code /proc/net/tcp} and {@code tcp6} write an address as the host-order (little-endian here)
   * words of its network bytes, one word for IPv4, four for IPv6.
   */
  static String procAddress(InetAddress address, int port) {
    byte[] b = address.getAddress();
    StringBuilder text = new StringBuilder(b.length * 2 + 5);
    for (int word = 0; word < b.length; word += 4) {
      for (int i = word + 3; i >= word; i--) {
        text.append(String.format(Locale.ROOT, "%02X", b[i] & 0xff));
      }
    }
    return text.append(String.format(Locale.ROOT, ":%04X", port)).toString();
  }

  private ProcessInfo processWithSocket(String link) throws IOException {
    try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, "[0-9]*")) {
      for (Path pid : pids) {
        if (ownsSocket(pid.resolve("fd"), link)) {
          String name = Files.readString(pid.resolve("comm")).trim();
          String path = null;
          try {
            path = Files.readSymbolicLink(pid.resolve("exe")).toString();
          } catch (IOException e) {
            // kernel threads and exited processes have no exe; the name is still useful
          }
          return new ProcessInfo(name, path);
        }
      }
    }
    return null;
  }

  private static boolean ownsSocket(Path fds, String link) {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(fds)) {
      for (Path fd : entries) {
        try {
          if (link.equals(Files.readSymbolicLink(fd).toString())) {
            return true;
          }
        } catch (IOException e) {
          // closed while we looked
        }
      }
    } catch (IOException e) {
      // the process exited or is not ours to read
    }
    return false;
  }
}
