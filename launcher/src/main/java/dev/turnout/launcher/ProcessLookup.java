package dev.turnout.launcher;

import dev.turnout.rules.ProcessInfo;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the process and user that own a local socket, for PROCESS-*, PROCESS-*-REGEX and UID rules.
 * With the NAT design the original source address and port of every captured flow are known, so the
 * socket is found in the kernel's table for its protocol — {@code /proc/net/tcp} or {@code
 * /proc/net/udp}, then the {@code 6} table where IPv4 sockets of dual-stack programs appear as
 * {@code ::ffff:a.b.c.d} — which gives the owner uid and the inode; the process is the one with
 * that inode among its {@code fd}s. Its name is the file name of {@code /proc/PID/exe}, not {@code
 * comm} (which the kernel cuts to 15 characters). An unconnected UDP socket is listed with the
 * wildcard address, so for UDP that matches the port too. This walks /proc and is slow; the rule
 * engine calls it only when such a rule is reached. Thread-safe (no state).
 */
final class ProcessLookup {
  private static final Logger log = LoggerFactory.getLogger(ProcessLookup.class);
  private static final String DELETED = " (deleted)";

  private final Path proc;

  ProcessLookup(Path proc) {
    this.proc = proc;
  }

  /** The socket's owner from one line of a {@code /proc/net} table. */
  record Socket(int uid, String inode) {}

  /** The owner of the socket bound to {@code local}, or null if it cannot be found. */
  ProcessInfo ownerOf(boolean udp, InetSocketAddress local) {
    try {
      Socket s = socket(udp, local);
      if (s == null) {
        return null;
      }
      ProcessInfo p = processWithSocket("socket:[" + s.inode() + "]", s.uid());
      return p != null ? p : new ProcessInfo(null, null, s.uid());
    } catch (IOException | RuntimeException e) {
      log.debug("process lookup for {} failed: {}", local, e.toString());
      return null;
    }
  }

  /**
   * The owners of many local sockets at once, for the controller's connection list: one read of
   * each {@code /proc/net} table and one walk of every process's descriptors, however many sockets
   * are asked for. Sockets whose owner cannot be found are left out.
   */
  Map<InetSocketAddress, ProcessInfo> ownersOf(
      Collection<InetSocketAddress> tcp, Collection<InetSocketAddress> udp) {
    Map<String, Owned> byInode = new HashMap<>();
    try {
      inodes("net/tcp", tcp, false, byInode);
      inodes("net/udp", udp, true, byInode);
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
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(pid.resolve("fd"))) {
          for (Path fd : fds) {
            String link = readLink(fd);
            if (link == null || !link.startsWith("socket:[")) {
              continue;
            }
            Owned owned = byInode.remove(link.substring(8, link.length() - 1));
            if (owned != null) {
              ProcessInfo info = describe(pid, owned.uid());
              owned.locals().forEach(local -> owners.put(local, info));
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

  /** The local addresses one socket inode stands for, and its owner's uid. */
  private record Owned(int uid, List<InetSocketAddress> locals) {}

  /**
   * Finds the inodes of {@code wanted} in {@code table} and its {@code 6} twin; with {@code
   * wildcard} (UDP), a socket bound to the any-address on the same port when none matches exactly.
   */
  private void inodes(
      String table,
      Collection<InetSocketAddress> wanted,
      boolean wildcard,
      Map<String, Owned> byInode)
      throws IOException {
    if (wanted.isEmpty()) {
      return;
    }
    for (boolean six : new boolean[] {false, true}) {
      Map<String, List<InetSocketAddress>> byAddress = new HashMap<>();
      for (InetSocketAddress local : wanted) {
        if (local.getAddress() instanceof Inet4Address address) {
          String key = procAddress(address, local.getPort(), six);
          byAddress.computeIfAbsent(key, k -> new ArrayList<>()).add(local);
          if (wildcard) {
            String any = "0".repeat(key.indexOf(':')) + key.substring(key.indexOf(':'));
            byAddress.computeIfAbsent(any, k -> new ArrayList<>()).add(local);
          }
        }
      }
      List<String> lines = read(six ? table + "6" : table);
      for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (f.length > 9 && !f[9].equals("0")) {
          List<InetSocketAddress> locals = byAddress.get(f[1]);
          if (locals != null) {
            byInode.put(f[9], new Owned(Integer.parseInt(f[7]), locals));
          }
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

  private Socket socket(boolean udp, InetSocketAddress local) throws IOException {
    String table = udp ? "net/udp" : "net/tcp";
    InetAddress a = local.getAddress();
    Socket s = null;
    if (a instanceof Inet4Address) {
      s = find(read(table), procAddress(a, local.getPort(), false), udp);
    }
    if (s == null) {
      s = find(read(table + "6"), procAddress(a, local.getPort(), true), udp);
    }
    return s;
  }

  private List<String> read(String table) throws IOException {
    Path p = proc.resolve(table);
    return Files.isReadable(p) ? Files.readAllLines(p) : List.of();
  }

  /**
   * The socket whose local address is {@code wanted} (as the table writes it) in {@code lines};
   * with {@code wildcard}, a socket bound to the any-address on the same port when none matches
   * exactly.
   */
  static Socket find(List<String> lines, String wanted, boolean wildcard) {
    String port = wanted.substring(wanted.indexOf(':'));
    String any = "0".repeat(wanted.indexOf(':')) + port;
    Socket fallback = null;
    for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
      String[] f = line.trim().split("\\s+");
      if (f.length <= 9 || f[9].equals("0")) {
        continue; // inode 0: TIME_WAIT, no process; the port may serve a live socket further on
      }
      if (f[1].equals(wanted)) {
        return new Socket(Integer.parseInt(f[7]), f[9]);
      }
      if (wildcard && fallback == null && f[1].equals(any)) {
        fallback = new Socket(Integer.parseInt(f[7]), f[9]);
      }
    }
    return fallback;
  }

  /**
   * {@code /proc/net/tcp} writes an IPv4 address as the host-order word of its network bytes
   * ({@code 0100007F:1F90}); the {@code 6} tables write four such words, an IPv4 address mapped
   * into IPv6 ({@code 0000000000000000FFFF00000100007F:1F90}).
   */
  static String procAddress(InetAddress address, int port, boolean six) {
    byte[] b = address.getAddress();
    if (six && b.length == 4) {
      byte[] m = new byte[16];
      m[10] = (byte) 0xff;
      m[11] = (byte) 0xff;
      System.arraycopy(b, 0, m, 12, 4);
      b = m;
    }
    StringBuilder sb = new StringBuilder();
    for (int w = 0; w < b.length; w += 4) {
      for (int i = 3; i >= 0; i--) {
        sb.append(String.format(Locale.ROOT, "%02X", b[w + i] & 0xff));
      }
    }
    return sb.append(String.format(Locale.ROOT, ":%04X", port)).toString();
  }

  private ProcessInfo processWithSocket(String link, int uid) throws IOException {
    try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, "[0-9]*")) {
      for (Path pid : pids) {
        if (ownsSocket(pid.resolve("fd"), link)) {
          return describe(pid, uid);
        }
      }
    }
    return null;
  }

  /** The executable's file name and path; the kernel's {@code comm} only if exe is unreadable. */
  private static ProcessInfo describe(Path pid, int uid) {
    try {
      String path = Files.readSymbolicLink(pid.resolve("exe")).toString();
      if (path.endsWith(DELETED)) { // replaced by an upgrade while running
        path = path.substring(0, path.length() - DELETED.length());
      }
      return new ProcessInfo(path.substring(path.lastIndexOf('/') + 1), path, uid);
    } catch (IOException e) {
      try { // kernel threads and exited processes have no exe
        return new ProcessInfo(Files.readString(pid.resolve("comm")).trim(), null, uid);
      } catch (IOException gone) {
        return new ProcessInfo(null, null, uid);
      }
    }
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
