package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.ManualTimeSource;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * Which of the found servers a {@code system} or {@code dhcp://} entry asks, and which answer it
 * takes. The servers' answers are scripted here (real servers answer in UpstreamTest's style and in
 * DnsUpstreamsIT); what is under test is the choice among them.
 */
class DiscoveredClientTest {
  private static final InetAddress A = IpLiterals.parseOrNull("203.0.113.53");
  private static final InetAddress B = IpLiterals.parseOrNull("198.51.100.53");
  private static final InetAddress TURNOUT = IpLiterals.parseOrNull("198.18.0.1");
  private static final ForbiddenRange FAKE = new ForbiddenRange(0xc6120000, 0xc612ffff);

  private final Map<InetAddress, CompletableFuture<Message>> answers = new ConcurrentHashMap<>();
  private final List<InetSocketAddress> asked = new ArrayList<>();
  private final AtomicReference<List<InetAddress>> found = new AtomicReference<>(List.of(A, B));

  private DiscoveredClient client() {
    return new DiscoveredClient(
        Nameserver.parse("system"),
        () -> CompletableFuture.completedFuture(found.get()),
        a -> !FAKE.contains(a),
        (server, query) -> {
          synchronized (asked) {
            asked.add(server);
          }
          return answers.computeIfAbsent(server.getAddress(), k -> new CompletableFuture<>());
        });
  }

  private static Message query() throws Exception {
    return Message.newQuery(Record.newRecord(Name.fromString("www.example.test."), Type.A, 1));
  }

  private static Message answer(int rcode) throws Exception {
    Message m = query();
    m.getHeader().setRcode(rcode);
    return m;
  }

  @Test
  void everyServerIsAskedAndTheFirstGoodAnswerWins() throws Exception {
    CompletableFuture<Message> result = client().send(query());
    assertThat(asked).containsExactly(new InetSocketAddress(A, 53), new InetSocketAddress(B, 53));
    answers.get(A).complete(answer(Rcode.SERVFAIL));
    assertThat(result).isNotDone(); // B may still answer well
    answers.get(B).complete(answer(Rcode.NXDOMAIN));
    assertThat(result.get().getRcode()).isEqualTo(Rcode.NXDOMAIN);
  }

  @Test
  void whenNoneAnswersWellTheBadAnswerOrTheErrorIsTheResult() throws Exception {
    answers.put(A, CompletableFuture.failedFuture(new IOException("timed out")));
    answers.put(B, CompletableFuture.completedFuture(answer(Rcode.REFUSED)));
    assertThat(client().send(query()).get().getRcode()).isEqualTo(Rcode.REFUSED);
    answers.put(B, CompletableFuture.failedFuture(new IOException("unreachable")));
    CompletableFuture<Message> failed = client().send(query());
    assertThat(failed).isCompletedExceptionally();
  }

  /** Once Turnout is the host's resolver, resolv.conf names Turnout: the servers before serve. */
  @Test
  void serversLeadingBackToTurnoutAreSkippedAndTheLastUsableOnesServe() throws Exception {
    answers.put(A, CompletableFuture.completedFuture(answer(Rcode.NOERROR)));
    answers.put(B, CompletableFuture.completedFuture(answer(Rcode.NOERROR)));
    DiscoveredClient client = client();
    found.set(List.of(TURNOUT, A));
    assertThat(client.send(query()).get().getRcode()).isEqualTo(Rcode.NOERROR);
    found.set(List.of(TURNOUT));
    asked.clear();
    client.send(query()).get();
    assertThat(asked).containsExactly(new InetSocketAddress(A, 53));

    found.set(List.of(TURNOUT));
    CompletableFuture<Message> none = client().send(query()); // a new client knows none
    assertThat(none).isCompletedExceptionally();
    try {
      none.get();
    } catch (ExecutionException e) {
      assertThat(e.getCause()).hasMessageContaining("no nameserver found");
    }
  }

  @Test
  void systemSourceRereadsAtMostEveryTwoSecondsOffTheAskingThread() {
    ManualTimeSource time = new ManualTimeSource();
    List<Runnable> later = new ArrayList<>();
    int[] reads = {0};
    SystemSource source =
        new SystemSource(
            () -> {
              reads[0]++;
              return reads[0] == 1 ? List.of(A) : List.of(B);
            },
            time,
            later::add);
    assertThat(reads[0]).isEqualTo(1);
    assertThat(source.servers().join()).containsExactly(A);
    assertThat(later).isEmpty();
    time.advance(Duration.ofSeconds(2));
    assertThat(source.servers().join()).containsExactly(A); // re-read started, not awaited
    assertThat(source.servers().join()).containsExactly(A);
    assertThat(later).hasSize(1); // one re-read at a time
    later.get(0).run();
    assertThat(reads[0]).isEqualTo(2);
    assertThat(source.servers().join()).containsExactly(B);
    assertThat(later).hasSize(1);
  }
}
