package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.ManualTimeSource;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Issue 14, defect 5: 65,534 queries from one local user remapped every other user's fake IPs in
 * 1.5 s. Each client now has a budget of new mappings; the pool's eviction never takes a pinned
 * mapping and costs O(1).
 */
class AllocationQuotaTest {
  private final ManualTimeSource time = new ManualTimeSource();
  private final FakeIpPool pool = new FakeIpPool(0xC6120002, 0xC612FFFE); // 65,533 addresses
  private final FakeDnsHandler handler =
      FakeDnsHandler.builder(pool, q -> CompletableFuture.completedFuture(q))
          .allocationQuota(new AllocationQuota(10, 100, time))
          .build();
  private final InetAddress victim = IpLiterals.parse("203.0.113.10");
  private final InetAddress attacker = IpLiterals.parse("203.0.113.66");

  @Test
  void oneClientCannotRemapEveryoneElsesFakeIps() throws Exception {
    String mine = address(ask("www.example.com.", victim));
    int answered = 0;
    for (int i = 0; i < 65_534; i++) {
      answered += ask("flood-" + i + ".example.", attacker).getRcode() == Rcode.NOERROR ? 1 : 0;
    }
    assertThat(answered).isEqualTo(100); // its burst, and nothing more without time passing
    assertThat(address(ask("www.example.com.", victim))).isEqualTo(mine);
    assertThat(ask("news.example.", victim).getRcode()).isEqualTo(Rcode.NOERROR); // own budget
    assertThat(ask("flood-0.example.", attacker).getRcode())
        .as("a name it already has is answered")
        .isEqualTo(Rcode.NOERROR);
    time.advance(Duration.ofSeconds(1));
    int later = 0;
    for (int i = 0; i < 1_000; i++) {
      later += ask("later-" + i + ".example.", attacker).getRcode() == Rcode.NOERROR ? 1 : 0;
    }
    assertThat(later).isEqualTo(10);
  }

  @Test
  void queriesWithoutAKnownClientAreNotLimited() throws Exception {
    for (int i = 0; i < 1_000; i++) {
      assertThat(ask("n" + i + ".example.", null).getRcode()).isEqualTo(Rcode.NOERROR);
    }
  }

  @Test
  void evictionTakesTheLeastRecentlyUsedUnpinnedMappingInConstantTime() {
    FakeIpPool small = new FakeIpPool(0xC6120002, 0xC6120002 + 65_533);
    for (int i = 0; i < small.capacity(); i++) {
      small.pin(small.addressFor("pinned-" + i + ".example"));
    }
    small.unpin(small.addressFor("pinned-7.example")); // the one address that may be reused
    long started = System.nanoTime();
    for (int i = 0; i < 50_000; i++) {
      assertThat(small.tryAddressFor("new-" + i + ".example")).isPresent();
    }
    for (int i = 0; i < 2; i++) {
      assertThat(small.nameFor(small.addressFor("pinned-" + i + ".example")))
          .contains("pinned-" + i + ".example");
    }
    small.pin(small.addressFor("new-49999.example")); // now all are pinned
    for (int i = 0; i < 50_000; i++) {
      assertThat(small.tryAddressFor("more-" + i + ".example")).isEmpty();
    }
    // A scan of 65,534 pinned mappings per allocation would take minutes here.
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    assertThat(small.size()).isEqualTo(small.capacity());
  }

  private Message ask(String name, InetAddress client) throws Exception {
    Message q = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
    return handler.handle(q, client).toCompletableFuture().get(1, TimeUnit.SECONDS);
  }

  private static String address(Message m) {
    List<Record> answer = m.getSection(Section.ANSWER);
    return Optional.of(((ARecord) answer.get(0)).getAddress().getHostAddress()).get();
  }
}
