package dev.turnout.hostnet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Fuzz;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal, fuzzed: every change Turnout writes survives a journal line exactly; damaged lines
 * and files never throw anything but the "not a journal" refusal, and whatever is read back is a
 * change Turnout could have written (it validates again and round-trips).
 */
class JournalFuzzTest {
  private static final long SEED = 0x10a7L;

  @TempDir Path dir;

  @Test
  void everyChangeTurnoutWritesRoundTrips() {
    SplittableRandom random = Fuzz.random(SEED);
    int cases = Fuzz.iterations(50_000);
    for (int i = 0; i < cases; i++) {
      Change change = validChange(random);
      assertThat(Change.decode(Change.encode(change))).as(Fuzz.where(SEED, i)).isEqualTo(change);
    }
  }

  @Test
  void damagedLinesAreSkippedAndWhatRemainsIsValid() throws IOException {
    SplittableRandom random = Fuzz.random(SEED + 1);
    List<String> valid = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      valid.add(Change.encode(validChange(random)));
    }
    int cases = Fuzz.iterations(50_000);
    Path journal = dir.resolve("journal");
    int kept = 0;
    for (int i = 0; i < cases; i++) {
      String line = valid.get(random.nextInt(valid.size()));
      byte[] damaged = Fuzz.mutate(line.getBytes(StandardCharsets.UTF_8), random);
      String text = new String(damaged, StandardCharsets.UTF_8);
      try {
        Change c = Change.decode(text);
        assertThat(Change.decode(Change.encode(c))).isEqualTo(c);
        kept++;
      } catch (IllegalArgumentException refused) {
        // skipped with a warning, never run
      } catch (RuntimeException e) {
        throw new AssertionError(Fuzz.where(SEED + 1, i) + ": " + text, e);
      }
      if (i % 100 == 0) { // whole files too: header, torn last line, blank and damaged lines
        String file = Journal.HEADER + "\n" + String.join("\n", valid.subList(0, 5)) + "\n" + text;
        Files.write(journal, Fuzz.mutate(file.getBytes(StandardCharsets.UTF_8), random));
        try {
          for (Change c : Journal.read(journal)) {
            assertThat(Change.validate(c)).isEqualTo(c);
          }
        } catch (IOException notAJournal) {
          assertThat(notAJournal).hasMessageContaining("not a Turnout journal");
        }
      }
    }
    assertThat(kept).as("some mutations still read as changes").isPositive();
  }

  /** A change as HostChanges and AutoRoute write them. */
  static Change validChange(SplittableRandom r) {
    String family = r.nextBoolean() ? "-4" : "-6";
    String priority = Integer.toString(1 + r.nextInt(32765));
    String table = Integer.toString(r.nextBoolean() ? 2022 : 1 + r.nextInt(252));
    return switch (r.nextInt(6)) {
      case 0 ->
          new Change.Rule(
              family,
              pick(
                  r,
                  List.of(
                      List.of("priority", priority, "lookup", table),
                      List.of(
                          "priority",
                          priority,
                          "fwmark",
                          "0x" + Integer.toHexString(r.nextInt()),
                          "lookup",
                          "main"),
                      List.of(
                          "priority",
                          priority,
                          "to",
                          "203.0.113." + r.nextInt(256) + "/32",
                          "lookup",
                          "main"),
                      List.of("priority", priority, "not", "iif", "lo", "lookup", table),
                      List.of("priority", priority, "uidrange", "1000-2000", "lookup", "main"))));
      case 1 ->
          new Change.Route(
              family, List.of("default", "dev", "turnout" + r.nextInt(10), "table", table));
      case 2 ->
          new Change.Sysctl(
              pick(
                  r,
                  List.of(
                      "net.ipv4.ip_forward",
                      "net.ipv6.conf.all.forwarding",
                      "net.ipv4.conf.turnout0.rp_filter")),
              Integer.toString(r.nextInt(3)),
              Integer.toString(r.nextInt(3)));
      case 3 ->
          new Change.ResolvConf(
              "/etc/resolv.conf",
              "/run/turnout/turnout0/resolv.conf.orig",
              r.nextBoolean(),
              "0123456789abcdef");
      case 4 -> new Change.LinkDns("turnout" + r.nextInt(100));
      default ->
          new Change.NftTable(
              pick(r, List.of("ip", "ip6", "inet")), "turnout_tun" + r.nextInt(100));
    };
  }

  private static <T> T pick(SplittableRandom r, List<T> from) {
    return from.get(r.nextInt(from.size()));
  }
}
