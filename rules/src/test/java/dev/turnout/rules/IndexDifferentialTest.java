package dev.turnout.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.HostResolver;
import dev.turnout.rules.Addresses.Prefix;
import dev.turnout.rules.Matchers.Domain;
import dev.turnout.rules.Matchers.DomainMode;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link CidrIndex}, {@link DomainIndex} and {@link KeywordIndex} against a brute-force scan of
 * their patterns, with enough patterns that buckets, Bloom words, ranges and automaton states have
 * many neighbours.
 */
class IndexDifferentialTest {
  // the long label makes some names span several cache lines of DomainIndex's records
  private static final String[] LABELS = {
    "a", "b", "cdn", "x1", "www", "m-2", "img", "q", "z_z", "a-label-long-enough-to-spill-out"
  };
  private static final String[] TLDS = {"com", "net", "co.uk", "io"};

  @Test
  void cidrIndexAgreesWithBruteForce() {
    SplittableRandom rnd = new SplittableRandom(7);
    for (int round = 0; round < 40; round++) {
      List<Prefix> prefixes = new ArrayList<>();
      List<Long> keys = new ArrayList<>();
      CidrIndex index = new CidrIndex();
      int floor = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(200);
      for (int i = rnd.nextInt(300); i >= 0; i--) {
        Prefix p =
            !prefixes.isEmpty() && rnd.nextInt(8) == 0 ? pick(rnd, prefixes) : randomPrefix(rnd);
        long key = (long) rnd.nextInt(200) << 32 | i;
        prefixes.add(p);
        keys.add(key);
        index.add(p, key);
      }
      index.freeze(floor);
      for (int q = 0; q < 400; q++) {
        Ip ip = Ip.of(probe(rnd, pick(rnd, prefixes)));
        for (int f : new int[] {0, floor}) {
          long expected = Compiled.NONE;
          for (int i = 0; i < prefixes.size(); i++) {
            if (prefixes.get(i).contains(ip) && keys.get(i) >= (long) f << 32) {
              expected = Math.min(expected, keys.get(i));
            }
          }
          assertThat(index.lookup(ip, f))
              .as("round %d, %s, floor %d", round, ip, f)
              .isEqualTo(expected);
        }
      }
    }
  }

  /**
   * IPv4 lookups start from a jump table indexed by the address's top bits (as many bits as the
   * intervals need, up to 16): addresses on and next to its boundaries, and the ends of the address
   * space, with 1 to 5,000 prefixes so that the table has from 1 to 2^14 entries.
   */
  @Test
  void cidrIndexAgreesOnJumpTableBoundaries() {
    SplittableRandom rnd = new SplittableRandom(5);
    for (int count : new int[] {1, 2, 3, 7, 60, 700, 5000}) {
      List<Prefix> prefixes = new ArrayList<>();
      CidrIndex index = new CidrIndex();
      for (int i = 0; i < count; i++) {
        int len = 1 + rnd.nextInt(32);
        long a = rnd.nextLong() & 0xFFFFFFFFL & (0xFFFFFFFFL << (32 - len));
        Prefix p = Addresses.parsePrefix(address(v4Bytes(a)).getHostAddress() + "/" + len);
        prefixes.add(p);
        index.add(p, (long) i << 32 | i);
      }
      index.freeze(Integer.MAX_VALUE);
      List<Long> probes = new ArrayList<>(List.of(0L, 0xFFFFFFFFL));
      for (int bits = 1; bits <= 16; bits++) {
        for (int k = 0; k < 8; k++) {
          long boundary = (rnd.nextLong() & ((1L << bits) - 1)) << (32 - bits);
          probes.addAll(List.of(boundary, (boundary - 1) & 0xFFFFFFFFL, boundary + 1));
        }
      }
      for (Prefix p : prefixes) {
        long first = p.ip().lo;
        long last = first | (0xFFFFFFFFL >>> p.length());
        probes.addAll(List.of(first, last, (first - 1) & 0xFFFFFFFFL, (last + 1) & 0xFFFFFFFFL));
      }
      for (long a : probes) {
        Ip ip = Ip.of(address(v4Bytes(a)));
        long expected = Compiled.NONE;
        for (int i = 0; i < prefixes.size() && expected == Compiled.NONE; i++) {
          if (prefixes.get(i).contains(ip)) {
            expected = (long) i << 32 | i; // keys ascend with i: the first container wins
          }
        }
        assertThat(index.lookup(ip, 0)).as("%d prefixes, %s", count, ip).isEqualTo(expected);
      }
    }
  }

  @Test
  void domainIndexAgreesWithBruteForce() {
    SplittableRandom rnd = new SplittableRandom(11);
    Compiled empty = Compiled.build(List.of(), Map.of(), GeoDb.NONE, List.of(), HostResolver.NONE);
    for (int round = 0; round < 20; round++) {
      List<Domain> patterns = new ArrayList<>();
      List<Long> keys = new ArrayList<>();
      DomainIndex index = new DomainIndex();
      for (int i = rnd.nextInt(3000); i >= 0; i--) {
        Domain d = new Domain(name(rnd), DomainMode.values()[rnd.nextInt(4)]);
        long key = (long) rnd.nextInt(1000) << 32 | i;
        patterns.add(d);
        keys.add(key);
        index.add(d.domain(), d.mode(), key);
      }
      index.freeze();
      for (int q = 0; q < 500; q++) {
        String host = host(rnd, patterns);
        Ctx c = new Ctx(ConnectionInfo.builder(Network.TCP).host(host).build(), empty);
        long expected = Compiled.NONE;
        for (int i = 0; i < patterns.size(); i++) {
          if (patterns.get(i).matches(c)) {
            expected = Math.min(expected, keys.get(i));
          }
        }
        assertThat(index.lookup(c.host)).as("round %d, host %s", round, c.host).isEqualTo(expected);
      }
    }
  }

  /**
   * The one loop that steps the keyword automaton alongside the domain hash: the smaller of the two
   * brute-force answers, with keywords that overlap labels, dots and patterns.
   */
  @Test
  void domainAndKeywordLookupAgreesWithBruteForce() {
    SplittableRandom rnd = new SplittableRandom(17);
    Compiled empty = Compiled.build(List.of(), Map.of(), GeoDb.NONE, List.of(), HostResolver.NONE);
    for (int round = 0; round < 20; round++) {
      List<Domain> patterns = new ArrayList<>();
      List<String> words = new ArrayList<>();
      List<Long> keys = new ArrayList<>();
      DomainIndex domains = new DomainIndex();
      KeywordIndex keywords = new KeywordIndex();
      for (int i = rnd.nextInt(1000); i >= 0; i--) {
        long key = (long) rnd.nextInt(1000) << 32 | i;
        keys.add(key);
        if (rnd.nextInt(10) == 0) {
          String w = name(rnd);
          w = w.substring(rnd.nextInt(w.length()));
          words.add(w);
          patterns.add(null);
          keywords.add(w, key);
        } else {
          Domain d = new Domain(name(rnd), DomainMode.values()[rnd.nextInt(4)]);
          words.add(null);
          patterns.add(d);
          domains.add(d.domain(), d.mode(), key);
        }
      }
      domains.freeze();
      keywords.freeze();
      List<Domain> listed = patterns.stream().filter(d -> d != null).toList();
      for (int q = 0; q < 300; q++) {
        String host = listed.isEmpty() ? name(rnd) : host(rnd, listed);
        Ctx c = new Ctx(ConnectionInfo.builder(Network.TCP).host(host).build(), empty);
        long expected = Compiled.NONE;
        for (int i = 0; i < keys.size(); i++) {
          boolean hit =
              patterns.get(i) != null ? patterns.get(i).matches(c) : c.host.contains(words.get(i));
          if (hit) {
            expected = Math.min(expected, keys.get(i));
          }
        }
        assertThat(domains.lookup(c.host, keywords))
            .as("round %d, host %s", round, c.host)
            .isEqualTo(expected);
      }
    }
  }

  /**
   * Keywords from a small alphabet, so that they overlap, nest and share prefixes and suffixes (the
   * automaton's failure links and the outputs they carry), against hosts with characters outside
   * every keyword and outside ASCII.
   */
  @Test
  void keywordIndexAgreesWithBruteForce() {
    SplittableRandom rnd = new SplittableRandom(13);
    String alphabet = "ab.c1";
    for (int round = 0; round < 40; round++) {
      List<String> words = new ArrayList<>();
      List<Long> keys = new ArrayList<>();
      KeywordIndex index = new KeywordIndex();
      for (int i = rnd.nextInt(30); i >= 0; i--) {
        String w = randomString(rnd, alphabet, 1 + rnd.nextInt(5));
        long key = (long) rnd.nextInt(100) << 32 | i;
        words.add(w);
        keys.add(key);
        index.add(w, key);
      }
      index.freeze();
      for (int q = 0; q < 300; q++) {
        String host = randomString(rnd, alphabet + "xé中", rnd.nextInt(20));
        long expected = Compiled.NONE;
        for (int i = 0; i < words.size(); i++) {
          if (host.contains(words.get(i))) {
            expected = Math.min(expected, keys.get(i));
          }
        }
        assertThat(index.lookup(host))
            .as("round %d, %s in %s", round, host, words)
            .isEqualTo(expected);
      }
    }
  }

  private static String randomString(SplittableRandom rnd, String alphabet, int length) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < length; i++) {
      sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  /** Two names with the same bucket, Bloom bits and fingerprint: the characters decide. */
  @Test
  void hashCollisionIsVerifiedByCharacters() {
    Map<Long, String> seen = new HashMap<>();
    String[] pair = null;
    for (int i = 0; pair == null; i++) {
      String name = String.format("n%6s.com", Integer.toString(i, 36)).replace(' ', '0');
      String other = seen.putIfAbsent(DomainIndex.hash(name) & 0xFFFFFFFF00000003L, name);
      if (other != null) {
        pair = new String[] {other, name};
      }
    }
    DomainIndex index = new DomainIndex(); // one pattern: one bucket, one Bloom word
    index.add(pair[0], DomainMode.SUFFIX, 5);
    index.freeze();
    assertThat(index.lookup(pair[0])).isEqualTo(5);
    assertThat(index.lookup("www." + pair[0])).isEqualTo(5);
    assertThat(index.lookup(pair[1])).isEqualTo(Compiled.NONE);
    assertThat(index.lookup("www." + pair[1])).isEqualTo(Compiled.NONE);
  }

  /**
   * Names of 23 to 255 characters, whose records span several longs and cache lines, and a name in
   * two modes: one character less, or a different last one, and the pattern no longer matches.
   */
  @Test
  void longNamesAreVerifiedToTheirLastCharacter() {
    DomainIndex index = new DomainIndex();
    List<String> names = new ArrayList<>();
    for (int len : new int[] {23, 24, 25, 31, 32, 33, 40, 64, 255}) {
      StringBuilder sb = new StringBuilder();
      while (sb.length() < len - 4) {
        sb.append((char) ('a' + sb.length() % 26));
      }
      String name = sb.append(".com").substring(sb.length() - len);
      names.add(name);
      index.add(name, DomainMode.SUFFIX, len);
    }
    index.add("multi.example", DomainMode.EXACT, 7);
    index.add("multi.example", DomainMode.SUBDOMAINS, 3);
    index.freeze();
    for (String name : names) {
      assertThat(index.lookup(name)).as(name).isEqualTo(name.length());
      assertThat(index.lookup("x." + name)).as(name).isEqualTo(name.length());
      String lastChanged = name.substring(0, name.length() - 1) + "n";
      assertThat(index.lookup(lastChanged)).as(lastChanged).isEqualTo(Compiled.NONE);
      assertThat(index.lookup(name.substring(1))).as(name).isEqualTo(Compiled.NONE);
    }
    assertThat(index.lookup("multi.example")).isEqualTo(7);
    assertThat(index.lookup("a.multi.example")).isEqualTo(3);
  }

  private static String name(SplittableRandom rnd) {
    StringBuilder sb = new StringBuilder();
    for (int i = rnd.nextInt(3); i >= 0; i--) {
      sb.append(pick(rnd, LABELS)).append('.');
    }
    return sb.append(pick(rnd, TLDS)).toString();
  }

  /**
   * A listed name, alone or with labels around it (one label longer than a pattern may be), a
   * random name, or a malformed one.
   */
  private static String host(SplittableRandom rnd, List<Domain> patterns) {
    switch (rnd.nextInt(7)) {
      case 0:
        return name(rnd);
      case 1:
        return pick(rnd, LABELS) + "." + pick(rnd, patterns).domain();
      case 2:
        return pick(rnd, LABELS) + "." + pick(rnd, LABELS) + "." + pick(rnd, patterns).domain();
      case 3:
        return pick(rnd, new String[] {"a..", ".", "é.", "x", "-", "Ā."})
            + pick(rnd, patterns).domain();
      case 4:
        return "x".repeat(250 + rnd.nextInt(20)) + "." + pick(rnd, patterns).domain();
      default:
        return pick(rnd, patterns).domain();
    }
  }

  private static Prefix randomPrefix(SplittableRandom rnd) {
    boolean v6 = rnd.nextInt(4) == 0;
    byte[] b = new byte[v6 ? 16 : 4];
    rnd.nextBytes(b);
    b[0] = (byte) (rnd.nextBoolean() ? 10 : rnd.nextInt(4) == 0 ? 255 : 0); // crowd a few bases
    if (v6) {
      b[1] = (byte) 0x20; // never ::ffff:a.b.c.d, which is IPv4
    }
    int bits = b.length * 8;
    int len = rnd.nextInt(3) == 0 ? rnd.nextInt(bits + 1) : bits - rnd.nextInt(Math.min(bits, 24));
    return Addresses.parsePrefix(address(b).getHostAddress() + "/" + len);
  }

  /** An address on the ends of {@code p}, just outside them, or anywhere. */
  private static InetAddress probe(SplittableRandom rnd, Prefix p) {
    byte[] b = p.ip().address.getAddress();
    int bits = b.length * 8;
    switch (rnd.nextInt(5)) {
      case 0: // first address: b as it is
        break;
      case 1: // last
      case 2: // last + 1
        for (int i = p.length(); i < bits; i++) {
          b[i / 8] |= (byte) (0x80 >>> (i % 8));
        }
        if (rnd.nextBoolean()) {
          increment(b, 1);
        }
        break;
      case 3: // first - 1
        increment(b, -1);
        break;
      default:
        rnd.nextBytes(b);
    }
    return address(b);
  }

  private static byte[] v4Bytes(long a) {
    return new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a};
  }

  private static void increment(byte[] b, int by) {
    for (int i = b.length - 1; i >= 0; i--) {
      int v = (b[i] & 0xff) + by;
      b[i] = (byte) v;
      if (v >= 0 && v <= 255) {
        return;
      }
    }
  }

  private static InetAddress address(byte[] b) {
    try {
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static <T> T pick(SplittableRandom rnd, List<T> from) {
    return from.get(rnd.nextInt(from.size()));
  }

  private static String pick(SplittableRandom rnd, String[] from) {
    return from[rnd.nextInt(from.length)];
  }
}
