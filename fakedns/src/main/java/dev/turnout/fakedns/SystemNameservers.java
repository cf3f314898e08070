package dev.turnout.fakedns;

import dev.turnout.netbase.IpLiterals;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The nameservers the host's own resolver uses: those {@code /etc/resolv.conf} names, or, when it
 * names only systemd-resolved's stub (127.0.0.53, or 127.0.0.54), the upstreams resolved keeps in
 * {@code /run/systemd/resolve/resolv.conf}. The stub itself is never asked: once Turnout routes
 * every domain of the host to its own DNS server, resolved would ask Turnout, which would ask
 * resolved. Only IP literals; a scoped link-local one is skipped (a nameserver entry cannot say its
 * interface). What the {@code system} nameserver entry asks, and what Turnout's own lookups use
 * when its DNS server is off and no nameserver is written.
 */
public final class SystemNameservers {
  /** The host's resolver configuration. */
  public static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");

  /** systemd-resolved's own upstreams, in resolv.conf's form. */
  static final Path RESOLVED_UPSTREAMS = Path.of("/run/systemd/resolve/resolv.conf");

  private SystemNameservers() {}

  /** The host's nameservers now, in the files' order; empty when none is found. */
  public static List<InetAddress> read() {
    return of(text(RESOLV_CONF));
  }

  /**
   * The nameservers a resolv.conf with {@code text} names (the one Turnout replaced, say), with
   * systemd-resolved's stub replaced as above.
   */
  public static List<InetAddress> of(String text) {
    return of(text, RESOLVED_UPSTREAMS);
  }

  static List<InetAddress> of(String text, Path resolvedUpstreams) {
    List<InetAddress> listed = parse(text);
    List<InetAddress> direct = withoutStub(listed);
    if (!direct.isEmpty() || listed.isEmpty()) {
      return direct;
    }
    return withoutStub(parse(text(resolvedUpstreams)));
  }

  private static List<InetAddress> withoutStub(List<InetAddress> servers) {
    return servers.stream().filter(a -> !isResolvedStub(a)).toList();
  }

  /** systemd-resolved's stub listeners: 127.0.0.53 (with search domains) and 127.0.0.54. */
  private static boolean isResolvedStub(InetAddress a) {
    byte[] b = a.getAddress();
    return b.length == 4 && b[0] == 127 && b[1] == 0 && b[2] == 0 && (b[3] == 53 || b[3] == 54);
  }

  private static String text(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  static List<InetAddress> parse(String text) {
    List<InetAddress> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      String[] words = line.strip().split("\\s+");
      if (words.length < 2 || !words[0].equals("nameserver") || words[1].contains("%")) {
        continue;
      }
      InetAddress a = IpLiterals.parseHostOrNull(words[1]);
      if (a != null && !out.contains(a)) {
        out.add(a);
      }
    }
    return List.copyOf(out);
  }
}
