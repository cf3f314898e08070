package dev.turnout.launcher;

import dev.turnout.rules.ProcessInfo;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the process that owns a local TCP socket, for PROCESS-NAME and PROCESS-PATH rules. With the
 * NAT design the original source address and port of every captured connection are known, so the
 * socket can be found in {@code /proc/net/tcp} and its inode in some process's {@code fd}
 * directory. This walks /proc and is slow; the rule engine calls it only when such a rule is
 * reached.
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

  /**
   * The owners of many local sockets at once, for the controller's connection list: one read of
   * {@code /proc/net/tcp} and {@code /proc/net/udp} and one walk of every process's descriptors,
   * however many sockets are asked for. Sockets whose owner cannot be found are left out.
   */
  Map<InetSocketAddress, ProcessInfo> ownersOf(
      Collection<InetSocketAddress> tcp, Collection<InetSocketAddress> udp) {
    Map<String, InetSocketAddress> byInode = new HashMap<>();
    try {
      inodes(proc.resolve("net/tcp"), tcp, byInode);
      inodes(proc.resolve("net/udp"), udp, byInode);
    } catch (IOException | RuntimeException e) {
      log.debug("process lookup: cannot read the socket tables: {}", e.toString());
      return Map.of();
    }
    Map<InetSocketAddress, ProcessInfo> owners = new HashMap<>();
    if (byInode.isEmpty()) {
      return owners;
    }
    try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, "[0-9]*")) {
      for (Path pid : pids) {
        ProcessInfo info = null;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(pid.resolve("fd"))) {
          for (Path fd : fds) {
            String link = readLink(fd);
            if (link == null || !link.startsWith("socket:[")) {
              continue;
            }
            InetSocketAddress local = byInode.remove(link.substring(8, link.length() - 1));
            if (local != null) {
              info = info != null ? info : describe(pid);
              if (info != null) {
                owners.put(local, info);
              }
            }
          }
        } catch (IOException e) {
          // the process exited or is not ours to read
        }
        if (byInode.isEmpty()) {
          break;
        }
      }
    } catch (IOException e) {
      log.debug("process lookup: cannot list processes: {}", e.toString());
    }
    return owners;
  }

  private static void inodes(
      Path table, Collection<InetSocketAddress> wanted, Map<String, InetSocketAddress> byInode)
      throws IOException {
    if (wanted.isEmpty()) {
      return;
    }
    Map<String, InetSocketAddress> byAddress = new HashMap<>();
    for (InetSocketAddress local : wanted) {
      if (local.getAddress() instanceof Inet4Address address) {
        byAddress.put(procAddress(address, local.getPort()), local);
      }
    }
    List<String> lines = Files.readAllLines(table);
    for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
      String[] fields = line.trim().split("\\s+");
      if (fields.length > 9) {
        InetSocketAddress local = byAddress.get(fields[1]);
        if (local != null && !fields[9].equals("0")) {
          byInode.put(fields[9], local);
        }
      }
    }
  }

  private static String readLink(Path link) {
    try {
      return Files.readSymbolicLink(link).toString();
    } catch (IOException e) {
      return null; // closed while we looked
    }
  }

  private static ProcessInfo describe(Path pid) {
    try {
      String name = Files.readString(pid.resolve("comm")).trim();
      String path = readLink(pid.resolve("exe"));
      return new ProcessInfo(name, path == null ? "" : path);
    } catch (IOException e) {
      return null;
    }
  }

  private String socketInode(InetSocketAddress local) throws IOException {
    if (!(local.getAddress() instanceof Inet4Address address)) {
      return null;
    }
    String wanted = procAddress(address, local.getPort());
    List<String> lines = Files.readAllLines(proc.resolve("net/tcp"));
    for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
      String[] fields = line.trim().split("\\s+");
      if (fields.length > 9 && fields[1].equals(wanted)) {
        return fields[9];
      }
    }
    return null;
  }

  /** {@code /proc/net/tcp} writes the address as the host-order word of the network bytes. */
  static String procAddress(Inet4Address address, int port) {
    byte[] b = address.getAddress();
    return String.format(
        Locale.ROOT,
        "%02X%02X%02X%02X:%04X",
        b[3] & 0xff,
        b[2] & 0xff,
        b[1] & 0xff,
        b[0] & 0xff,
        port);
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
