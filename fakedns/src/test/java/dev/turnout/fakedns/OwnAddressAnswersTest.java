package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.IpLiterals;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Issue 14, defect 1: a query for the name {@code 127.0.0.1} got a fake IP, and the relay then
 * dialed loopback; upstream answers inside the fake range were passed on.
 */
class OwnAddressAnswersTest {
  private final AtomicInteger forwarded = new AtomicInteger();

  /** An upstream that answers every A query with loopback, a fake IP and a real address. */
  private final FakeDnsHandler handler =
      FakeDnsHandler.builder(
              new FakeIpPool(0xC6120002, 0xC612FFFE),
              q -> {
                forwarded.incrementAndGet();
                Message m = FakeDnsHandler.reply(q, Rcode.NOERROR);
                Name name = q.getQuestion().getName();
                for (String a : List.of("127.0.0.1", "198.18.3.7", "198.19.0.9", "203.0.113.9")) {
                  m.addRecord(
                      new ARecord(name, DClass.IN, 60, IpLiterals.parse(a)), Section.ANSWER);
                }
                return CompletableFuture.completedFuture(m);
              })
          .filter(DomainFilter.of(List.of("+.lan")), DomainFilter.Mode.BLACKLIST)
          .forbiddenRange(0xC6120000, 0xC613FFFF)
          .build();

  @Test
  void anIpLiteralTypedAsANameNeverGetsAFakeAddress() throws Exception {
    for (String literal : List.of("127.0.0.1.", "0.0.0.0.", "203.0.113.5.")) {
      forwarded.set(0);
      Message r = ask(literal);
      assertThat(forwarded).as(literal).hasValue(1);
      assertThat(addresses(r)).as(literal).doesNotContain("198.18.0.2");
    }
    assertThat(handler.isFaked("127.0.0.1")).isFalse();
    assertThat(handler.isFaked("www.example.com")).isTrue();
  }

  @Test
  void upstreamAnswersInsideTurnoutsRangeAreRemoved() throws Exception {
    Message r = ask("printer.lan.");
    assertThat(addresses(r)).containsExactly("127.0.0.1", "203.0.113.9");
    assertThat(handler.strippedAnswers.sum()).isEqualTo(2);
    assertThat(r.getHeader().getFlag(Flags.QR)).isTrue();
  }

  private Message ask(String name) throws Exception {
    Message q = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
    return handler.handle(q).toCompletableFuture().get(1, TimeUnit.SECONDS);
  }

  private static List<String> addresses(Message m) {
    return m.getSection(Section.ANSWER).stream()
        .filter(ARecord.class::isInstance)
        .map(r -> ((ARecord) r).getAddress().getHostAddress())
        .toList();
  }
}
