package dev.turnout.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.netbase.HostResolver;
import dev.turnout.rules.Matchers.Domain;
import dev.turnout.rules.Matchers.DomainMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link DomainIndex}'s building: names added as strings or as bytes inside a larger array, names
 * repeated in several modes, the empty index and the limits on a name.
 */
class DomainIndexTest {
  private static final String[] LABELS = {"a", "b", "cdn", "x-1", "w_w", "0", "long-label-here"};

  @Test
  void emptyIndexMatchesNothing() {
    DomainIndex index = new DomainIndex();
    assertThat(index.lookup("example.com")).isEqualTo(Compiled.NONE); // before freeze too
    index.freeze();
    assertThat(index.size()).isZero();
    assertThat(index.lookup("example.com")).isEqualTo(Compiled.NONE);
    assertThat(index.lookup("a")).isEqualTo(Compiled.NONE);
    assertThat(index.lookup("")).isEqualTo(Compiled.NONE);
  }

  @Test
  void namesOfOneTo255AsciiCharactersOnly() {
    String longest = "a".repeat(251) + ".com";
    byte[] bytes = ("x" + longest + "y").getBytes(StandardCharsets.US_ASCII);
    DomainIndex index = new DomainIndex();
    index.add(longest, DomainMode.EXACT, 3);
    index.add(bytes, 1, 1 + 255, DomainMode.SUFFIX, 4);
    for (String bad : new String[] {"", "a".repeat(252) + ".com", "é.com"}) {
      assertThatThrownBy(() -> index.add(bad, DomainMode.EXACT, 1))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    byte[] utf8 = "xé.com".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> index.add(utf8, 0, utf8.length, DomainMode.EXACT, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> index.add(bytes, 0, 256, DomainMode.EXACT, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> index.add(bytes, 3, 3, DomainMode.EXACT, 1))
        .isInstanceOf(IllegalArgumentException.class);
    index.freeze();
    assertThat(index.size()).isEqualTo(1);
    assertThat(index.lookup(longest)).isEqualTo(3);
    assertThat(index.lookup("b." + longest)).isEqualTo(4);
    assertThatThrownBy(() -> index.add("a.com", DomainMode.EXACT, 1))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(index::freeze).isInstanceOf(IllegalStateException.class);
  }

  /** One name in every mode, each several times: per mode the smallest key, whichever way added. */
  @Test
  void repeatedNamesKeepTheSmallestKeyOfEachMode() {
    DomainIndex index = new DomainIndex();
    byte[] name = "-example.com-".getBytes(StandardCharsets.US_ASCII);
    long[] smallest = {40, 30, 20, 10}; // EXACT, SUFFIX, SUBDOMAINS, ONE_LABEL
    for (int round = 0; round < 3; round++) {
      for (DomainMode mode : DomainMode.values()) {
        long key = smallest[mode.ordinal()] + 2 - round; // the last round adds the smallest
        if (round % 2 == 0) {
          index.add("example.com", mode, key);
        } else {
          index.add(name, 1, name.length - 1, mode, key);
        }
      }
      index.add("other.example.com", DomainMode.EXACT, 1); // a neighbour in the same buckets
    }
    index.freeze();
    assertThat(index.size()).isEqualTo(2);
    assertThat(index.lookup("example.com")).isEqualTo(30); // EXACT 40, SUFFIX 30
    assertThat(index.lookup("a.example.com")).isEqualTo(10); // SUFFIX, SUBDOMAINS, ONE_LABEL
    assertThat(index.lookup("b.a.example.com")).isEqualTo(20); // SUFFIX, SUBDOMAINS
    assertThat(index.lookup("other.example.com")).isEqualTo(1);
    assertThat(index.lookup("xexample.com")).isEqualTo(Compiled.NONE);
  }

  /** Names added either way, many repeated, against a scan of every pattern. */
  @Test
  void agreesWithScanningEveryPattern() {
    Random rnd = new Random(20);
    Compiled empty = Compiled.build(List.of(), Map.of(), GeoDb.NONE, List.of(), HostResolver.NONE);
    for (int round = 0; round < 30; round++) {
      List<Domain> patterns = new ArrayList<>();
      List<Long> keys = new ArrayList<>();
      DomainIndex index = new DomainIndex();
      int n = round == 0 ? 1 : rnd.nextInt(2000);
      if (rnd.nextBoolean()) {
        index.expect(n);
      }
      for (int i = 0; i < n; i++) {
        Domain d = new Domain(name(rnd), DomainMode.values()[rnd.nextInt(4)]);
        long key = (long) rnd.nextInt(500) << 32 | i;
        patterns.add(d);
        keys.add(key);
        if (rnd.nextBoolean()) {
          index.add(d.domain(), d.mode(), key);
        } else {
          byte[] b = ("::" + d.domain() + ";").getBytes(StandardCharsets.US_ASCII);
          index.add(b, 2, b.length - 1, d.mode(), key);
        }
      }
      index.freeze();
      assertThat(index.size())
          .isEqualTo((int) patterns.stream().map(Domain::domain).distinct().count());
      for (int q = 0; q < 400; q++) {
        String host = rnd.nextInt(4) == 0 ? name(rnd) : label(rnd) + "." + name(rnd);
        Ctx c = new Ctx(ConnectionInfo.builder(Network.TCP).host(host).build(), empty);
        long expected = scan(patterns, keys, c);
        assertThat(index.lookup(host)).as("round %d, host %s", round, host).isEqualTo(expected);
      }
    }
  }

  /**
   * Names of 1 to 40 characters (19 to 25 in every other round) over a two-letter alphabet, so that
   * many share their length and differ in one character (the slot's length check passes, the name
   * comparison decides: half the names, and some hosts, are listed names with a letter swapped), on
   * both sides of the inline limit of 22 characters, some in several modes; hosts in mixed case and
   * with a trailing dot, normalized as a connection normalizes them; small tables, so that searches
   * run past the table's end. Against a scan of every pattern.
   */
  @Test
  void namesAroundTheInlineLimitAgreeWithAScan() {
    Random rnd = new Random(21);
    Compiled empty = Compiled.build(List.of(), Map.of(), GeoDb.NONE, List.of(), HostResolver.NONE);
    for (int round = 0; round < 40; round++) {
      List<Domain> patterns = new ArrayList<>();
      List<Long> keys = new ArrayList<>();
      DomainIndex index = new DomainIndex();
      int n = 1 + rnd.nextInt(round < 20 ? 8 : 600);
      for (int i = 0; i < n; i++) {
        int length = round % 2 == 0 ? 1 + rnd.nextInt(40) : 19 + rnd.nextInt(7); // 19..25
        // every other name is the one before with a letter swapped: both listed
        String name = i % 2 == 1 ? flipped(rnd, patterns.get(i - 1).domain()) : abName(rnd, length);
        Domain d = new Domain(name, DomainMode.values()[rnd.nextInt(4)]);
        long key = (long) rnd.nextInt(50) << 32 | i;
        patterns.add(d);
        keys.add(key);
        index.add(d.domain(), d.mode(), key);
      }
      index.freeze();
      for (int q = 0; q < 300; q++) {
        String host =
            switch (rnd.nextInt(4)) {
              case 0 -> patterns.get(rnd.nextInt(n)).domain(); // a listed name itself
              case 1 ->
                  abName(rnd, 1 + rnd.nextInt(3)) + "." + patterns.get(rnd.nextInt(n)).domain();
              case 2 -> flipped(rnd, patterns.get(rnd.nextInt(n)).domain());
              default -> abName(rnd, 1 + rnd.nextInt(44));
            };
        String written = rnd.nextBoolean() ? host.toUpperCase(java.util.Locale.ROOT) : host;
        ConnectionInfo conn =
            ConnectionInfo.builder(Network.TCP)
                .host(written + (rnd.nextBoolean() ? "." : ""))
                .build();
        Ctx c = new Ctx(conn, empty);
        long expected = scan(patterns, keys, c);
        assertThat(index.lookup(conn.host()))
            .as("round %d, host %s", round, written)
            .isEqualTo(expected);
      }
    }
  }

  /**
   * {@code name} with one of its letters swapped ('a' for 'b' or back): same length, other name.
   */
  private static String flipped(Random rnd, String name) {
    char[] c = name.toCharArray();
    int i = rnd.nextInt(c.length);
    c[i] = c[i] == 'a' ? 'b' : c[i] == 'b' ? 'a' : c[i];
    return new String(c);
  }

  /**
   * A name of {@code length} characters: 'a', 'b' and, not at either end nor twice in a row, '.'.
   */
  private static String abName(Random rnd, int length) {
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      boolean dot = i > 0 && i < length - 1 && sb.charAt(i - 1) != '.' && rnd.nextInt(4) == 0;
      sb.append(dot ? '.' : rnd.nextBoolean() ? 'a' : 'b');
    }
    return sb.toString();
  }

  /** The smallest key of a pattern matching {@code c}, found by trying every pattern. */
  private static long scan(List<Domain> patterns, List<Long> keys, Ctx c) {
    long expected = Compiled.NONE;
    for (int i = 0; i < patterns.size(); i++) {
      if (patterns.get(i).matches(c)) {
        expected = Math.min(expected, keys.get(i));
      }
    }
    return expected;
  }

  private static String label(Random rnd) {
    return LABELS[rnd.nextInt(LABELS.length)];
  }

  private static String name(Random rnd) {
    StringBuilder sb = new StringBuilder(label(rnd));
    for (int i = rnd.nextInt(3); i >= 0; i--) {
      sb.append('.').append(label(rnd));
    }
    return sb.toString();
  }
}
