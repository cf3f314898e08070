package dev.turnout.launcher.config;

import dev.turnout.netbase.IpLiterals;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The nameservers {@code /etc/resolv.conf} names: what Turnout's own lookups (proxy servers, names
 * that listeners' clients ask for) use when its DNS server is off ({@code dns.enable: false}) and
 * no {@code dns.nameserver} is written, as mihomo then uses the system's resolver. Only IP
 * literals; a scoped link-local one is skipped (a nameserver entry cannot say its interface).
 */
final class SystemNameservers {
  static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");

  private SystemNameservers() {}

  /** The nameservers of the file, in its order; empty when it has none or cannot be read. */
  static List<String> read(Path file) {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }

  static List<String> parse(String text) {
    List<String> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      String[] words = line.strip().split("\\s+");
      if (words.length < 2 || !words[0].equals("nameserver") || words[1].contains("%")) {
        continue;
      }
      InetAddress a = IpLiterals.parseHostOrNull(words[1]);
      if (a != null) {
        out.add(IpLiterals.format(a));
      }
    }
    return List.copyOf(out);
  }
}
