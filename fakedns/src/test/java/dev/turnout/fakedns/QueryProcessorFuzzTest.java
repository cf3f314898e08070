package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.TimeSource;
import dev.turnout.testing.Fuzz;
import dev.turnout.testing.LeakCheck;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Random and mutated bytes through the whole message path (parse, handler, encode). Seeded, so a
 * failure reproduces; the seed and case number are in the assertion message.
 */
class QueryProcessorFuzzTest {
  private static final long SEED = Fuzz.seed(0x7e57_d05L);
  // A seeded slice in CI (bench/fuzz.sh: a million), 3 random messages to 7 mutated ones.
  private static final int CASES = Fuzz.iterations(200_000);
  private static final int RANDOM_CASES = CASES * 3 / 10;
  private static final int MUTATED_CASES = CASES - RANDOM_CASES;

  private final SplittableRandom random = new SplittableRandom(SEED);
  private int forwarderCalls;

  /** Answers instantly, in turn: an echo, a failure, a throw, a garbage-ish echo. */
  private final Function<Message, CompletionStage<Message>> forwarder =
      query -> {
        switch (forwarderCalls++ % 4) {
          case 0 -> {
            Message m = query.clone();
            m.getHeader().setFlag(Flags.QR);
            return CompletableFuture.completedFuture(m);
          }
          case 1 -> {
            return CompletableFuture.failedFuture(new java.io.IOException("upstream down"));
          }
          case 2 -> throw new IllegalStateException("forwarder bug");
          default -> {
            Message m = new Message(query.getHeader().getID());
            m.addRecord(query.getQuestion(), Section.ANSWER); // a question record as an answer
            return CompletableFuture.completedFuture(m);
          }
        }
      };

  private final QueryProcessor processor = new QueryProcessor(handler());

  private FakeDnsHandler handler() {
    try {
      FakeIpPool tiny = new FakeIpPool(0x0A000001, 0x0A00000E); // wraps constantly
      tiny.pin(java.net.InetAddress.getByName("10.0.0.3"));
      return FakeDnsHandler.builder(tiny, forwarder)
          .filter(DomainFilter.of(List.of("+.lan")), DomainFilter.Mode.BLACKLIST)
          .ipv6Pool(FakeIpPool.of(java.net.InetAddress.getByName("fd00::1"), 14))
          .hosts(Hosts.of(java.util.Map.of("router.lan", List.of("192.168.1.1", "fd00::1"))))
          .build();
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void randomBytesNeverEscape() {
    for (int i = 0; i < RANDOM_CASES; i++) {
      byte[] wire = new byte[random.nextInt(i % 10 == 0 ? 12 : 600)];
      random.nextBytes(wire);
      if (wire.length > 2 && random.nextBoolean()) {
        wire[2] &= 0x7f; // a query, so it gets past the QR check more often
      }
      check(wire, i);
    }
  }

  @Test
  void mutatedQueriesNeverEscape() throws Exception {
    List<byte[]> seeds = seeds();
    for (int i = 0; i < MUTATED_CASES; i++) {
      byte[] wire = mutate(seeds.get(random.nextInt(seeds.size())).clone());
      check(wire, i);
    }
    // the mutations must reach the interesting paths, not only FORMERR
    FakeDnsHandler handler = processor.handler();
    assertThat(handler.fakeAnswers.sum()).isGreaterThan(MUTATED_CASES / 100);
    assertThat(handler.forwarded.sum()).isGreaterThan(MUTATED_CASES / 100);
    assertThat(processor.malformed.sum()).isGreaterThan(MUTATED_CASES / 100);
  }

  /** The same messages as datagrams through the UDP server's handler: every buffer released. */
  @Test
  void mutatedDatagramsThroughTheUdpHandlerLeakNothing() throws Exception {
    List<byte[]> seeds = seeds();
    InetSocketAddress client = new InetSocketAddress("203.0.113.9", 5353);
    try (LeakCheck leaks = LeakCheck.paranoid()) {
      EmbeddedChannel udp =
          new EmbeddedChannel(
              new UdpQueryHandler(
                  processor,
                  new SourceGuard(true, a -> false, 0, 0, TimeSource.SYSTEM),
                  InetSocketAddress::getAddress));
      int cases = Math.max(1_000, CASES / 20);
      for (int i = 0; i < cases; i++) {
        byte[] wire =
            i % 3 == 0
                ? Fuzz.bytes(random, random.nextInt(600))
                : mutate(seeds.get(random.nextInt(seeds.size())).clone());
        udp.writeInbound(
            new DatagramPacket(
                PooledByteBufAllocator.DEFAULT.buffer(wire.length).writeBytes(wire), null, client));
        for (Object out; (out = udp.readOutbound()) != null; ) {
          ReferenceCountUtil.release(out);
        }
      }
      udp.finishAndReleaseAll();
      leaks.assertNoLeaks();
    }
  }

  private void check(byte[] wire, int caseNo) {
    boolean udp = random.nextBoolean();
    CompletableFuture<byte[]> result;
    try {
      result = processor.process(wire, udp).toCompletableFuture();
    } catch (Throwable t) {
      throw new AssertionError("case " + caseNo + " (seed " + SEED + ") threw", t);
    }
    // plain checks: AssertJ's formatted descriptions would cost more than the case itself
    if (!result.isDone()) {
      throw new AssertionError("case " + caseNo + " (seed " + SEED + ") not done");
    }
    byte[] out = result.join(); // throws if completed exceptionally
    if (out != null) {
      if (out.length < 12 || out.length > (udp ? 4096 : 65535)) {
        throw new AssertionError("case " + caseNo + ": answer of " + out.length + " bytes");
      }
      if ((out[2] & 0x80) == 0 || out[0] != wire[0] || out[1] != wire[1]) {
        throw new AssertionError("case " + caseNo + ": QR not set or another ID");
      }
    }
  }

  private byte[] mutate(byte[] wire) {
    int mutations = 1 + random.nextInt(4);
    for (int m = 0; m < mutations && wire.length > 0; m++) {
      switch (random.nextInt(6)) {
        case 0 -> wire[random.nextInt(wire.length)] ^= (byte) (1 << random.nextInt(8));
        case 1 -> wire[random.nextInt(wire.length)] = (byte) random.nextInt(256);
        case 2 -> wire = java.util.Arrays.copyOf(wire, random.nextInt(wire.length + 1));
        case 3 -> { // a section count far off
          if (wire.length >= 12) {
            int at = 4 + 2 * random.nextInt(4);
            wire[at] = (byte) random.nextInt(256);
            wire[at + 1] = (byte) random.nextInt(256);
          }
        }
        case 4 -> { // a compression pointer anywhere
          if (wire.length >= 14) {
            int at = 12 + random.nextInt(wire.length - 13);
            wire[at] = (byte) (0xc0 | random.nextInt(64));
          }
        }
        default -> { // grow with random bytes
          byte[] more = new byte[random.nextInt(40)];
          random.nextBytes(more);
          byte[] grown = java.util.Arrays.copyOf(wire, wire.length + more.length);
          System.arraycopy(more, 0, grown, wire.length, more.length);
          wire = grown;
        }
      }
    }
    if (wire.length > 2 && random.nextInt(4) != 0) {
      wire[2] &= 0x7f;
    }
    return wire;
  }

  private static List<byte[]> seeds() throws Exception {
    List<byte[]> seeds = new ArrayList<>();
    String[] names = {
      "www.example.com.",
      "printer.lan.",
      "router.lan.",
      "a.",
      "x.y.z.w.v.example.org.",
      ".",
      "3.0.0.10.in-addr.arpa.",
      "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa."
    };
    int[] types = {
      Type.A, Type.AAAA, Type.TXT, Type.MX, Type.HTTPS, Type.SVCB, Type.PTR, Type.AXFR, Type.ANY
    };
    for (String n : names) {
      for (int type : types) {
        Message q = Message.newQuery(Record.newRecord(Name.fromString(n), type, DClass.IN));
        seeds.add(q.toWire());
        q.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        seeds.add(q.toWire());
      }
    }
    Message two = Message.newQuery(Record.newRecord(Name.fromString("a.b."), Type.A, DClass.IN));
    two.addRecord(Record.newRecord(Name.fromString("c.b."), Type.A, DClass.IN), Section.QUESTION);
    seeds.add(two.toWire());
    return seeds;
  }
}
