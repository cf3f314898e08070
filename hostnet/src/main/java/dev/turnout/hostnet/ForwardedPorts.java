package dev.turnout.hostnet;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the ports of forwarded flows go, so that they never meet this host's own connections on the
 * uplink. Apps on this host take their ports from {@code net.ipv4.ip_local_port_range}, and so do
 * the host's own sockets, Turnout's relay among them; after the masquerade both leave from the same
 * address. A server that closed one connection first holds its port in TIME_WAIT for 60 s and takes
 * a new SYN on that port only if the SYN's TCP timestamps are newer; the kernel runs a timestamp
 * clock per pair of addresses, and an app's (to the TUN's fake address) is not the host's (from the
 * uplink), so a SYN of the other kind on such a port is answered with an ACK and waits a second for
 * its retransmit.
 *
 * <p>So a forwarded flow from app port {@code p} in {@code appFirst..appLast} takes session port
 * {@code sessionFirst + (p - appFirst)} (one port per app port, keeping the app's own clock per
 * server port, as before), and the masquerade keeps forwarded TCP within {@code
 * sessionFirst..sessionLast()}: a range the host never picks a port from. Immutable.
 *
 * @param appFirst first port of the host's ephemeral range
 * @param appLast last port of it
 * @param sessionFirst first session port; the range has as many ports as the ephemeral one
 */
public record ForwardedPorts(int appFirst, int appLast, int sessionFirst) {
  static final Path SYSCTL = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

  /** Below it are the ports of system services; no session port is taken there. */
  static final int LOWEST = 1024;

  public ForwardedPorts {
    if (appFirst < 1 || appFirst > appLast || appLast > 65535) {
      throw new IllegalArgumentException("bad ephemeral range " + appFirst + "-" + appLast);
    }
    if (sessionFirst < LOWEST || sessionFirst + (appLast - appFirst) > 65535) {
      throw new IllegalArgumentException("bad session range from " + sessionFirst);
    }
    if (sessionFirst <= appLast && sessionFirst + (appLast - appFirst) >= appFirst) {
      throw new IllegalArgumentException("the session range overlaps the ephemeral one");
    }
  }

  /** The last session port. */
  public int sessionLast() {
    return sessionFirst + (appLast - appFirst);
  }

  /**
   * The shift for this host's ephemeral range, as {@link #of} finds it.
   *
   * @throws IOException if the range cannot be read, or leaves no room (the message says so)
   */
  public static ForwardedPorts ofThisHost() throws IOException {
    // One read, with a buffer that holds it all: the kernel answers a sysctl's first read only,
    // so Files.readString, which starts with a buffer of the file's size (0 here, then 1 byte),
    // reads "3" of "32768 60999".
    try (BufferedReader reader = Files.newBufferedReader(SYSCTL, StandardCharsets.US_ASCII)) {
      String line = reader.readLine();
      return of(line == null ? "" : line);
    }
  }

  /**
   * The shift for the ephemeral range {@code sysctl} (as {@code ip_local_port_range} reads, two
   * numbers): session ports from {@value #LOWEST} if as many fit below the range, else right above
   * it.
   *
   * @throws IOException if {@code sysctl} is not a range, or no range of its size fits beside it
   */
  static ForwardedPorts of(String sysctl) throws IOException {
    String[] parts = sysctl.trim().split("\\s+");
    int first = -1;
    int last = -1;
    try {
      first = Integer.parseInt(parts[0]);
      last = Integer.parseInt(parts[parts.length - 1]);
    } catch (NumberFormatException e) {
      // not numbers: refused below as any other non-range
    }
    if (parts.length != 2 || first < 1 || first > last || last > 65535) {
      throw new IOException(SYSCTL + " is not a port range: \"" + sysctl.trim() + "\"");
    }
    int size = last - first + 1;
    if (LOWEST + size <= first) {
      return new ForwardedPorts(first, last, LOWEST);
    }
    if (last + size <= 65535) {
      return new ForwardedPorts(first, last, last + 1);
    }
    throw new IOException(
        "the ephemeral port range "
            + first
            + "-"
            + last
            + " leaves no range of its size beside it");
  }
}
