package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The handler alone, with a recording forwarder instead of sockets. */
class FakeDnsHandlerTest {
  private final AtomicInteger forwarded = new AtomicInteger();
  private final FakeDnsHandler handler =
      new FakeDnsHandler(
          new FakeIpPool(0xC6120002, 0xC612FFFE),
          DomainFilter.of(List.of("+.lan")),
          q -> {
            forwarded.incrementAndGet();
            Message m = q.clone();
            m.getHeader().setFlag(Flags.QR);
            m.getHeader().unsetFlag(Flags.RA);
            m.addRecord(new OPTRecord(4096, 0, 0), Section.ADDITIONAL);
            return CompletableFuture.completedFuture(m);
          });

  private Message ask(Message q) throws Exception {
    return handler.handle(q).toCompletableFuture().get(1, TimeUnit.SECONDS);
  }

  private static Message query(String n, int type) throws Exception {
    return Message.newQuery(Record.newRecord(Name.fromString(n), type, DClass.IN));
  }

  @Test
  void fakeAnswerCopiesIdQuestionAndRd() throws Exception {
    Message q = query("www.example.com.", Type.A);
    q.getHeader().setID(777);
    q.getHeader().unsetFlag(Flags.RD);
    Message r = ask(q);
    assertThat(r.getHeader().getID()).isEqualTo(777);
    assertThat(r.getHeader().getFlag(Flags.QR)).isTrue();
    assertThat(r.getHeader().getFlag(Flags.RA)).isTrue();
    assertThat(r.getHeader().getFlag(Flags.RD)).isFalse();
    assertThat(r.getQuestion()).isEqualTo(q.getQuestion());
    assertThat(r.getSection(Section.ANSWER)).singleElement().isInstanceOf(ARecord.class);
    assertThat(r.getOPT()).isNull(); // the query had no OPT
    assertThat(forwarded).hasValue(0);
  }

  @Test
  void ednsQueryGetsOptBack() throws Exception {
    Message q = query("www.example.com.", Type.A);
    q.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
    assertThat(ask(q).getOPT()).isNotNull();
  }

  @Test
  void forwardedAnswerIsFixedUpForTheClient() throws Exception {
    Message q = query("printer.lan.", Type.A);
    Message r = ask(q);
    assertThat(forwarded).hasValue(1);
    assertThat(r.getHeader().getFlag(Flags.RA)).isTrue();
    assertThat(r.getOPT()).isNull(); // upstream's OPT dropped: the client did not send one
  }

  @Test
  void othersAreForwarded() throws Exception {
    ask(query("www.example.com.", Type.MX));
    ask(query("www.example.com.", Type.TXT));
    ask(query("www.example.com.", Type.PTR)); // not a reverse name
    ask(query("7.0.0.10.in-addr.arpa.", Type.PTR).clone()); // reverse name, outside the pool
    ask(query("printer.lan.", Type.AAAA)); // filtered name: real answer
    assertThat(forwarded).hasValue(5);
  }

  @Test
  void aaaaOfAFakeNameIsEmptyWithoutAv6Pool() throws Exception {
    Message r = ask(query("www.example.com.", Type.AAAA));
    assertThat(r.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(r.getSection(Section.ANSWER)).isEmpty();
    assertThat(forwarded).hasValue(0);
  }

  @Test
  void aaaaOfAFakeNameComesFromTheV6Pool() throws Exception {
    FakeIpPool v6 = FakeIpPool.of(java.net.InetAddress.getByName("fdfe:dcba:9876::2"), 1 << 16);
    FakeDnsHandler h =
        FakeDnsHandler.builder(new FakeIpPool(0xC6120002, 0xC612FFFE), q -> fail())
            .ipv6Pool(v6)
            .build();
    Message r = h.handle(query("www.example.com.", Type.AAAA)).toCompletableFuture().get();
    AAAARecord rr = (AAAARecord) r.getSection(Section.ANSWER).get(0);
    assertThat(rr.getTTL()).isEqualTo(1);
    assertThat(v6.nameFor(rr.getAddress())).contains("www.example.com");
    Message ptr =
        h.handle(query(ReverseMap.fromAddress(rr.getAddress()).toString(), Type.PTR))
            .toCompletableFuture()
            .get();
    assertThat(ptr.getSection(Section.ANSWER).get(0).rdataToString()).isEqualTo("www.example.com.");
  }

  @Test
  void ptrOfAFakeIpAnswersTheName() throws Exception {
    ARecord a = (ARecord) ask(query("www.example.com.", Type.A)).getSection(Section.ANSWER).get(0);
    Message r = ask(query(ReverseMap.fromAddress(a.getAddress()).toString(), Type.PTR));
    assertThat(r.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(r.getSection(Section.ANSWER)).singleElement().isInstanceOf(PTRRecord.class);
    assertThat(((PTRRecord) r.getSection(Section.ANSWER).get(0)).getTarget())
        .isEqualTo(Name.fromString("www.example.com."));
    Message unmapped = ask(query("200.200.18.198.in-addr.arpa.", Type.PTR));
    assertThat(unmapped.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(forwarded).hasValue(0);
  }

  @Test
  void whitelistModeFakesOnlyMatchingNames() throws Exception {
    FakeDnsHandler h =
        FakeDnsHandler.builder(
                new FakeIpPool(0xC6120002, 0xC612FFFE),
                q -> {
                  forwarded.incrementAndGet();
                  return CompletableFuture.completedFuture(q.clone());
                })
            .filter(DomainFilter.of(List.of("+.proxied.test")), DomainFilter.Mode.WHITELIST)
            .build();
    Message fake = h.handle(query("a.proxied.test.", Type.A)).toCompletableFuture().get();
    assertThat(fake.getSection(Section.ANSWER)).singleElement().isInstanceOf(ARecord.class);
    h.handle(query("other.test.", Type.A)).toCompletableFuture().get();
    h.handle(query("other.test.", Type.HTTPS)).toCompletableFuture().get();
    assertThat(forwarded).hasValue(2);
    assertThat(h.isFaked("proxied.test")).isTrue();
    assertThat(h.isFaked("other.test")).isFalse();
  }

  @Test
  void hostsAreAnsweredLocally() throws Exception {
    FakeDnsHandler h =
        FakeDnsHandler.builder(new FakeIpPool(0xC6120002, 0xC612FFFE), q -> fail())
            .hosts(
                Hosts.of(
                    java.util.Map.of(
                        "router.home", List.of("192.168.1.1", "fd00::1"),
                        "+.dev.test", List.of("127.0.0.1"))))
            .build();
    Message a = h.handle(query("Router.Home.", Type.A)).toCompletableFuture().get();
    assertThat(a.getSection(Section.ANSWER).get(0).rdataToString()).isEqualTo("192.168.1.1");
    assertThat(a.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(FakeDnsHandler.HOSTS_TTL);
    Message aaaa = h.handle(query("router.home.", Type.AAAA)).toCompletableFuture().get();
    assertThat(aaaa.getSection(Section.ANSWER).get(0).rdataToString())
        .isEqualTo("fd00:0:0:0:0:0:0:1");
    Message sub = h.handle(query("x.y.dev.test.", Type.A)).toCompletableFuture().get();
    assertThat(sub.getSection(Section.ANSWER).get(0).rdataToString()).isEqualTo("127.0.0.1");
    Message none = h.handle(query("x.dev.test.", Type.AAAA)).toCompletableFuture().get();
    assertThat(none.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(none.getSection(Section.ANSWER)).isEmpty();
  }

  @Test
  void exhaustedPoolAnswersServfailAndCounts() throws Exception {
    FakeIpPool tiny = new FakeIpPool(0x0A000001, 0x0A000002);
    FakeDnsHandler h = FakeDnsHandler.builder(tiny, q -> fail()).build();
    for (String n : List.of("a.test.", "b.test.")) {
      ARecord a =
          (ARecord)
              h.handle(query(n, Type.A))
                  .toCompletableFuture()
                  .get()
                  .getSection(Section.ANSWER)
                  .get(0);
      tiny.pin(a.getAddress());
    }
    Message r = h.handle(query("c.test.", Type.A)).toCompletableFuture().get();
    assertThat(r.getRcode()).isEqualTo(Rcode.SERVFAIL);
    assertThat(h.exhausted.sum()).isEqualTo(1);
    assertThat(h.errors.sum()).isZero();
  }

  @Test
  void ednsVersionOtherThanZeroIsBadvers() throws Exception {
    Message q = query("www.example.com.", Type.A);
    q.addRecord(new OPTRecord(1232, 0, 1), Section.ADDITIONAL);
    Message r = ask(q);
    assertThat(r.getRcode()).isEqualTo(16); // BADVERS
    assertThat(r.getOPT().getVersion()).isZero();
  }

  private static CompletableFuture<Message> fail() {
    throw new AssertionError("must not be forwarded");
  }

  @Test
  void zoneTransfersAreRefused() throws Exception {
    assertThat(ask(query("example.com.", Type.AXFR)).getRcode()).isEqualTo(Rcode.REFUSED);
    assertThat(forwarded).hasValue(0);
  }

  @Test
  void rootAndNonInClassAreForwardedNotFaked() throws Exception {
    ask(query(".", Type.A));
    ask(Message.newQuery(Record.newRecord(Name.fromString("version.bind."), Type.A, DClass.CH)));
    assertThat(forwarded).hasValue(2);
  }

  @Test
  void upstreamFailureIsServfail() throws Exception {
    FakeDnsHandler failing =
        new FakeDnsHandler(
            new FakeIpPool(0xC6120002, 0xC612FFFE),
            DomainFilter.empty(),
            q -> CompletableFuture.failedFuture(new java.io.IOException("down")));
    Message r =
        failing.handle(query("txt.test.", Type.TXT)).toCompletableFuture().get(1, TimeUnit.SECONDS);
    assertThat(r.getRcode()).isEqualTo(Rcode.SERVFAIL);
    assertThat(r.getQuestion().getName()).isEqualTo(Name.fromString("txt.test."));
    assertThat(failing.errors.sum()).isEqualTo(1);
  }
}
