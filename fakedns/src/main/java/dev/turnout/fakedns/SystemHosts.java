package dev.turnout.fakedns;

import dev.turnout.netbase.IpLiterals;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the system's hosts file ({@code /etc/hosts}) for {@code dns.use-system-hosts}: {@code
 * ADDRESS NAME [ALIAS...]} lines, {@code #} comments. Entries whose address {@code skip} refuses
 * (Turnout's own fake-IP range: answering them would hand out fake IPs no mapping backs, and
 * dialing them would loop) and lines that do not parse (a zone index such as {@code fe80::1%eth0},
 * a name with spaces) are left out, counted in one warning. A name on several lines gets every
 * address, in file order. Loopback entries are kept: they are what the system itself answers.
 */
public final class SystemHosts {
  private static final Logger log = LoggerFactory.getLogger(SystemHosts.class);

  /** Larger files are read up to here: an ad-blocking hosts file has some 200,000 lines. */
  static final int MAX_ENTRIES = 500_000;

  private SystemHosts() {}

  /**
   * The entries of {@code file} as {@code name -> addresses} for {@link Hosts#of}; empty when the
   * file does not exist.
   *
   * @throws IOException when the file exists but cannot be read
   */
  public static Map<String, List<String>> read(Path file, Predicate<InetAddress> skip)
      throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return Map.of();
    }
    Map<String, List<String>> entries = new LinkedHashMap<>();
    int skipped = 0;
    int unreadable = 0;
    int count = 0;
    for (String raw : lines) {
      int hash = raw.indexOf('#');
      String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] fields = line.split("\\s+");
      InetAddress address = IpLiterals.parseOrNull(fields[0]);
      if (address == null || fields.length < 2) {
        unreadable++;
        continue;
      }
      if (skip.test(address)) {
        skipped++;
        continue;
      }
      for (int i = 1; i < fields.length && count < MAX_ENTRIES; i++) {
        String name = Names.normalize(fields[i]);
        try {
          DomainFilter.of(List.of(name)); // a plain name, not a pattern or a set
        } catch (IllegalArgumentException e) {
          unreadable++;
          continue;
        }
        if (name.indexOf('*') >= 0 || name.startsWith("+") || name.contains(":")) {
          unreadable++;
          continue;
        }
        entries.computeIfAbsent(name, k -> new ArrayList<>()).add(address.getHostAddress());
        count++;
      }
    }
    if (skipped > 0 || unreadable > 0) {
      log.warn(
          "{}: left out {} entr{} inside Turnout's fake-IP range and {} unreadable",
          file,
          skipped,
          skipped == 1 ? "y" : "ies",
          unreadable);
    }
    if (count >= MAX_ENTRIES) {
      log.warn("{}: read the first {} names only", file, MAX_ENTRIES);
    }
    return entries;
  }
}
