package dev.turnout.natrewrite.kernel;

import dev.turnout.netbase.IpLiterals;
import java.io.IOException;
import java.net.Inet6Address;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * Waits until the kernel lets sockets bind a new IPv6 address. An address is added tentative and
 * only a kernel work item, run a moment later, clears that (at once on a TUN, which has no link
 * layer to probe for duplicates); until then {@code bind} fails with "Cannot assign requested
 * address". On a busy host that moment can outlast Turnout's own start, so it waits for the flag in
 * {@code /proc/net/if_inet6}, bounded in time. Stateless; thread-safe.
 */
final class TentativeAddress {
  static final Path IF_INET6 = Path.of("/proc/net/if_inet6");
  private static final int IFA_F_TENTATIVE = 0x40;
  private static final long POLL_MILLIS = 5;

  private TentativeAddress() {}

  /**
   * Returns once {@code address} on {@code device} is no longer tentative.
   *
   * @throws IOException if it still is (or is not listed) after {@code timeout}
   */
  static void await(Path table, String device, Inet6Address address, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Boolean tentative = tentative(Files.readAllLines(table), device, address);
      if (Boolean.FALSE.equals(tentative)) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IOException(
            (tentative == null ? "the kernel does not list " : "the kernel still holds ")
                + IpLiterals.format(address)
                + " on "
                + device
                + (tentative == null ? "" : " as tentative")
                + " after "
                + timeout.toMillis()
                + " ms");
      }
      Thread.sleep(POLL_MILLIS);
    }
  }

  /**
   * Whether {@code address} on {@code device} is tentative in the lines of {@code
   * /proc/net/if_inet6} ({@code address ifindex prefix scope flags name}, hex); null if not listed.
   */
  static Boolean tentative(List<String> lines, String device, Inet6Address address) {
    String wanted = HexFormat.of().formatHex(address.getAddress());
    for (String line : lines) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 6 && f[0].equalsIgnoreCase(wanted) && f[5].equals(device)) {
        try {
          return (Integer.parseInt(f[4], 16) & IFA_F_TENTATIVE) != 0;
        } catch (NumberFormatException e) {
          return null;
        }
      }
    }
    return null;
  }
}
