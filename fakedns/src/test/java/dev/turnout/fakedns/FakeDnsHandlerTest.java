package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
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
  void aaaaAndOthersAreForwarded() throws Exception {
    ask(query("www.example.com.", Type.AAAA));
    ask(query("www.example.com.", Type.MX));
    ask(query("www.example.com.", Type.PTR));
    assertThat(forwarded).hasValue(3);
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
