package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.ManualTimeSource;
import dev.turnout.netbase.TimeSource;
import dev.turnout.testing.Fuzz;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Type;

/**
 * The wire fast path ({@link QueryProcessor#answerFast}, {@link FakeAnswerCodec}) answers exactly
 * as dnsjava's path does: two twin processors (same configuration, same pools, same quotas) get the
 * same seeded stream of queries, one through the UDP handler (fast path first), one through {@link
 * QueryProcessor#process} only; every answer must be the same bytes, and the counters must agree.
 * The queries mix what the fast path takes (A, AAAA, HTTPS, SVCB for host names in any letter case,
 * with and without an empty EDNS OPT) with near misses: other types and classes, names filtered by
 * fake-ip-filter or in hosts, IP literals, escaped bytes, long names, EDNS options or version 1,
 * two questions, trailing bytes, cut-short and mutated datagrams.
 */
class FakeAnswerEquivalenceTest {
  private static final long SEED = Fuzz.seed(0xfa57_a115L);
  private static final int CASES = Fuzz.iterations(60_000);
  private static final InetSocketAddress CLIENT = new InetSocketAddress("203.0.113.9", 5353);
  private static final String[] NAMES = {
    "www.example.com",
    "Host1.Bench.TEST",
    "a",
    "x-y_z.example.org",
    "printer.lan",
    "PRINTER.LAN",
    "router.lan",
    "Router.Lan",
    "127.0.0.1",
    "198.18.0.7",
    "1-2.3",
    "*.example.com",
    "sp ace.example",
    "dot\\.in.label",
    "caf\\195\\169.example",
    "ex@mple.com",
    "",
  };
  private static final int[] TYPES = {
    Type.A,
    Type.A,
    Type.A,
    Type.AAAA,
    Type.AAAA,
    Type.HTTPS,
    Type.SVCB,
    Type.TXT,
    Type.MX,
    Type.PTR,
    Type.ANY,
    Type.AXFR,
    Type.CNAME
  };

  private final Random random = new Random(SEED);

  @Test
  void fastAnswersEqualDnsjavaAnswersWithAV6Pool() throws Exception {
    compare(DomainFilter.Mode.BLACKLIST, true);
  }

  @Test
  void fastAnswersEqualDnsjavaAnswersWithoutAV6PoolInWhitelistMode() throws Exception {
    compare(DomainFilter.Mode.WHITELIST, false);
  }

  private void compare(DomainFilter.Mode mode, boolean v6) throws Exception {
    Twin fast = new Twin(mode, v6);
    Twin reference = new Twin(mode, v6);
    EmbeddedChannel udp =
        new EmbeddedChannel(
            new UdpQueryHandler(
                fast.processor,
                new SourceGuard(true, a -> false, 0, 0, TimeSource.SYSTEM),
                InetSocketAddress::getAddress));
    int fastAnswers = 0;
    for (int i = 0; i < CASES; i++) {
      fast.weather(i);
      reference.weather(i);
      byte[] wire = query();
      boolean accepted =
          FakeAnswerCodec.questionEnd(Unpooled.wrappedBuffer(wire)) != FakeAnswerCodec.NOT_FAST;
      long faked = fast.handler().fakeAnswers.sum();
      udp.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(wire), null, CLIENT));
      DatagramPacket sent = udp.readOutbound();
      byte[] got = sent == null ? null : ByteBufUtil.getBytes(sent.content());
      if (sent != null) {
        sent.release();
      }
      byte[] want =
          reference.processor.process(wire, true, CLIENT.getAddress()).toCompletableFuture().join();
      if (!Arrays.equals(got, want)) {
        throw new AssertionError(
            Fuzz.where(SEED, i)
                + ": query "
                + HexFormat.of().formatHex(wire)
                + (accepted ? " (fast)" : " (dnsjava)")
                + "\n fast path answered "
                + (got == null ? "nothing" : HexFormat.of().formatHex(got))
                + "\n dnsjava answered    "
                + (want == null ? "nothing" : HexFormat.of().formatHex(want)));
      }
      if (accepted && fast.handler().fakeAnswers.sum() > faked) {
        fastAnswers++;
      }
    }
    assertThat(udp.finishAndReleaseAll()).isFalse();
    assertThat(fast.counters()).isEqualTo(reference.counters());
    assertThat(fast.handler().pool().size()).isEqualTo(reference.handler().pool().size());
    // the stream must exercise both paths and every outcome of the fast one
    assertThat(fastAnswers).isGreaterThan(CASES / 8);
    FakeDnsHandler h = reference.handler();
    assertThat(h.forwarded.sum()).isGreaterThan(CASES / 20);
    assertThat(h.local.sum()).isPositive();
    if (v6) {
      assertThat(h.exhausted.sum()).isPositive();
    }
    assertThat(reference.processor.malformed.sum()).isGreaterThan(CASES / 100);
  }

  /**
   * One of the two processors, with its own pools, quota and clock: a small v4 pool with a pinned
   * address, a v6 pool pinned whole now and then (exhausted), a quota that runs dry between clock
   * steps, a filter and a hosts entry.
   */
  private static final class Twin {
    final ManualTimeSource time = new ManualTimeSource();
    final FakeIpPool pool6;
    final QueryProcessor processor;

    Twin(DomainFilter.Mode mode, boolean v6) throws UnknownHostException {
      List<String> filter =
          mode == DomainFilter.Mode.BLACKLIST
              ? List.of("+.lan", "*.org") // real answers for these
              : List.of("+.lan", "+.bench.test"); // fake answers for these only
      FakeIpPool pool = new FakeIpPool(0xC6120001, 0xC612000E); // 198.18.0.1-14: wraps constantly
      pool.pin(InetAddress.getByName("198.18.0.3"));
      FakeDnsHandler.Builder b =
          FakeDnsHandler.builder(pool, forwarder())
              .filter(DomainFilter.of(filter), mode)
              .hosts(Hosts.of(Map.of("router.lan", List.of("203.0.113.1", "2001:db8::1"))))
              .allocationQuota(new AllocationQuota(1, 1_500, time));
      pool6 = v6 ? FakeIpPool.of(InetAddress.getByName("fdfe:dcba:9876::1"), 14) : null;
      if (v6) {
        b.ipv6Pool(pool6);
      }
      processor = new QueryProcessor(b.build());
    }

    FakeDnsHandler handler() {
      return processor.handler();
    }

    /** What happens around the server at case {@code i}: time passes, connections come and go. */
    void weather(int i) throws UnknownHostException {
      if (i % 3000 == 2999) {
        time.advance(java.time.Duration.ofSeconds(1_000));
      }
      if (pool6 != null && (i % 1000 == 500 || i % 1000 == 600)) { // all pinned in between
        byte[] address = pool6.firstAddress().getAddress();
        for (int k = 0; k < 14; k++) {
          InetAddress a = InetAddress.getByAddress(address);
          if (i % 1000 == 500) {
            pool6.pin(a);
          } else {
            pool6.unpin(a);
          }
          address[15]++;
        }
      }
    }

    List<Long> counters() {
      FakeDnsHandler h = handler();
      return List.of(
          processor.queries.sum(),
          processor.malformed.sum(),
          h.fakeAnswers.sum(),
          h.forwarded.sum(),
          h.local.sum(),
          h.errors.sum(),
          h.exhausted.sum());
    }
  }

  /** An upstream that echoes the query as an answer, the same way for both twins. */
  private static Function<Message, CompletionStage<Message>> forwarder() {
    return query -> {
      Message m = query.clone();
      m.getHeader().setFlag(Flags.QR);
      return CompletableFuture.completedFuture(m);
    };
  }

  private byte[] query() {
    ByteBuf out = Unpooled.buffer();
    out.writeShort(random.nextInt(0x10000));
    int flags =
        random.nextInt(8) == 0 ? random.nextInt(0x10000) & 0x7fff : 0x0100 * random.nextInt(2);
    if (random.nextInt(6) == 0) {
      flags |= random.nextInt(0x80); // AD, CD, Z, an rcode in a query
    }
    out.writeShort(flags);
    int questions = random.nextInt(20) == 0 ? random.nextInt(3) : 1;
    boolean opt = random.nextInt(3) == 0;
    out.writeShort(questions).writeShort(0).writeShort(0).writeShort(opt ? 1 : 0);
    for (int q = 0; q < questions; q++) {
      writeName(out, name());
      out.writeShort(TYPES[random.nextInt(TYPES.length)]);
      out.writeShort(random.nextInt(12) == 0 ? DClass.CH : DClass.IN);
    }
    if (opt) {
      boolean withOption = random.nextInt(5) == 0;
      out.writeByte(0).writeShort(Type.OPT).writeShort(512 + random.nextInt(4000));
      out.writeByte(0).writeByte(random.nextInt(8) == 0 ? 1 : 0); // extended rcode, version
      out.writeShort(random.nextBoolean() ? 0x8000 : 0); // DO
      if (withOption) { // a cookie: 8 bytes of client cookie
        out.writeShort(12).writeShort(10).writeShort(8).writeLong(random.nextLong());
      } else {
        out.writeShort(0);
      }
    }
    if (random.nextInt(25) == 0) {
      out.writeByte(random.nextInt(256)); // trailing garbage
    }
    byte[] wire = ByteBufUtil.getBytes(out);
    return random.nextInt(10) == 0 ? mutate(wire) : wire;
  }

  private String name() {
    int pick = random.nextInt(10);
    if (pick < 4) {
      String n = "host" + random.nextInt(40) + ".bench.test"; // more names than the pool holds
      return random.nextBoolean() ? n : n.toUpperCase(java.util.Locale.ROOT);
    }
    if (pick == 4) { // long: labels up to 63, names up to and past 255 bytes
      StringBuilder sb = new StringBuilder();
      for (int labels = 1 + random.nextInt(6); labels > 0; labels--) {
        sb.append("x".repeat(1 + random.nextInt(63))).append('.');
      }
      return sb.append("example").toString();
    }
    return NAMES[random.nextInt(NAMES.length)];
  }

  /** Writes {@code name} as labels; {@code \c} and {@code \DDD} escapes become the bytes. */
  private static void writeName(ByteBuf out, String name) {
    if (!name.isEmpty()) {
      for (String label : name.split("(?<!\\\\)\\.")) {
        byte[] bytes = unescape(label);
        out.writeByte(Math.min(bytes.length, 63));
        out.writeBytes(bytes, 0, Math.min(bytes.length, 63));
      }
    }
    out.writeByte(0);
  }

  private static byte[] unescape(String label) {
    ByteBuf bytes = Unpooled.buffer();
    for (int i = 0; i < label.length(); i++) {
      char c = label.charAt(i);
      if (c == '\\' && i + 3 < label.length() + 1 && Character.isDigit(label.charAt(i + 1))) {
        bytes.writeByte(Integer.parseInt(label.substring(i + 1, i + 4)));
        i += 3;
      } else if (c == '\\') {
        bytes.writeByte(label.charAt(++i));
      } else {
        bytes.writeByte(c);
      }
    }
    return ByteBufUtil.getBytes(bytes);
  }

  private byte[] mutate(byte[] wire) {
    switch (random.nextInt(4)) {
      case 0 -> {
        return Arrays.copyOf(wire, random.nextInt(wire.length + 1)); // cut short
      }
      case 1 -> wire[random.nextInt(wire.length)] ^= (byte) (1 << random.nextInt(8));
      case 2 -> { // a compression pointer in the question or after it
        if (wire.length > 12) {
          wire[12 + random.nextInt(wire.length - 12)] = (byte) (0xc0 | random.nextInt(64));
        }
      }
      default -> wire[4 + random.nextInt(8)] = (byte) random.nextInt(3); // a section count
    }
    return wire;
  }
}
