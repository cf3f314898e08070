package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** The handler behind a real server on 127.0.0.1, queried by dnsjava's client and raw sockets. */
class DnsServerTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private FakeUpstream first;
  private FakeUpstream second;
  private FakeIpPool pool;
  private DnsServer server;

  @BeforeEach
  void setUp() throws Exception {
    first = new FakeUpstream();
    second = new FakeUpstream();
    for (FakeUpstream u : List.of(first, second)) {
      u.add(new ARecord(name("printer.lan."), DClass.IN, 300, InetAddress.getByName("192.0.2.7")))
          .add(new TXTRecord(name("txt.test."), DClass.IN, 300, "hello"))
          .add(new MXRecord(name("mail.test."), DClass.IN, 300, 10, name("mx.mail.test.")));
      for (int i = 0; i < 40; i++) { // ~2 KB of TXT: too big for a 512-byte UDP answer
        u.add(new TXTRecord(name("big.test."), DClass.IN, 300, "record-" + i + "-".repeat(40)));
      }
    }
    pool = new FakeIpPool(0xC6120002, 0xC612FFFE);
  }

  private void startServer(FakeUpstream... upstreams) {
    Upstream upstream =
        Upstream.builder(java.util.Arrays.stream(upstreams).map(FakeUpstream::address).toList())
            .timeout(Duration.ofMillis(300))
            .forbiddenRange(0xC6120000, 0xC613FFFF)
            .build();
    FakeDnsHandler handler =
        new FakeDnsHandler(pool, DomainFilter.of(List.of("*.lan", "+.local")), upstream);
    server = DnsServer.start(new InetSocketAddress(LOOPBACK, 0), handler);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (server != null) {
      server.close();
    }
    first.close();
    second.close();
  }

  static Name name(String s) throws Exception {
    return Name.fromString(s);
  }

  private SimpleResolver client(boolean tcp) {
    SimpleResolver r = new SimpleResolver(server.localAddress());
    r.setTCP(tcp);
    r.setTimeout(Duration.ofSeconds(3));
    return r;
  }

  private static Message query(String n, int type) throws Exception {
    return Message.newQuery(Record.newRecord(name(n), type, DClass.IN));
  }

  @Test
  void aQueryGetsAStableFakeAddressWithTtlOne() throws Exception {
    startServer(first);
    Message answer = client(false).send(query("www.example.com.", Type.A));
    assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(answer.getHeader().getFlag(Flags.QR)).isTrue();
    assertThat(answer.getHeader().getFlag(Flags.RA)).isTrue();
    assertThat(answer.getHeader().getFlag(Flags.RD)).isTrue();
    List<Record> records = answer.getSection(Section.ANSWER);
    assertThat(records).hasSize(1);
    ARecord a = (ARecord) records.get(0);
    assertThat(a.getTTL()).isEqualTo(1);
    assertThat(pool.contains(a.getAddress())).isTrue();
    assertThat(pool.nameFor(a.getAddress())).contains("www.example.com");

    Message again = client(false).send(query("WWW.example.com.", Type.A));
    assertThat(((ARecord) again.getSection(Section.ANSWER).get(0)).getAddress())
        .isEqualTo(a.getAddress());
    assertThat(first.queries()).isZero();
    assertThat(server.stats().fakeAnswers()).isEqualTo(2);
  }

  @Test
  void aReplacedHandlerAnswersTheNextQueryOnTheSameSockets() throws Exception {
    startServer(first);
    java.net.InetSocketAddress bound = server.localAddress();
    Message before = client(false).send(query("printer.lan.", Type.A));
    assertThat(before.getSection(Section.ANSWER).get(0)).isInstanceOf(ARecord.class);
    assertThat(pool.contains(((ARecord) before.getSection(Section.ANSWER).get(0)).getAddress()))
        .isFalse();
    Upstream upstream =
        Upstream.builder(List.of(second.address())).timeout(Duration.ofMillis(300)).build();
    // The reloaded configuration filters nothing: printer.lan now gets a fake address.
    server.replaceHandler(new FakeDnsHandler(pool, DomainFilter.of(List.of()), upstream));
    assertThat(server.localAddress()).isEqualTo(bound);
    Message after = client(true).send(query("printer.lan.", Type.A));
    assertThat(pool.contains(((ARecord) after.getSection(Section.ANSWER).get(0)).getAddress()))
        .isTrue();
    assertThat(client(false).send(query("txt.test.", Type.TXT)).getRcode())
        .isEqualTo(Rcode.NOERROR);
    assertThat(second.queries()).isEqualTo(1);
    upstream.close();
  }

  @Test
  void filteredNameGetsTheRealAnswer() throws Exception {
    startServer(first);
    Message answer = client(false).send(query("printer.lan.", Type.A));
    ARecord a = (ARecord) answer.getSection(Section.ANSWER).get(0);
    assertThat(a.getAddress().getHostAddress()).isEqualTo("192.0.2.7");
    assertThat(a.getTTL()).isEqualTo(300);
    assertThat(first.queries()).isEqualTo(1);
    assertThat(server.stats().forwarded()).isEqualTo(1);
  }

  @Test
  void otherTypesAreForwarded() throws Exception {
    startServer(first);
    Message txt = client(false).send(query("txt.test.", Type.TXT));
    assertThat(txt.getSection(Section.ANSWER)).singleElement().isInstanceOf(TXTRecord.class);
    Message mx = client(false).send(query("mail.test.", Type.MX));
    assertThat(mx.getSection(Section.ANSWER)).singleElement().isInstanceOf(MXRecord.class);
    Message aaaa = client(false).send(query("txt.test.", Type.AAAA));
    assertThat(aaaa.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(aaaa.getSection(Section.ANSWER)).isEmpty(); // fake name, no v6 pool: empty
    assertThat(first.queries()).isEqualTo(2);
    client(false).send(query("txt.test.", Type.TXT)); // cached: upstream not asked again
    assertThat(first.queries()).isEqualTo(2);
  }

  @Test
  void httpsRecordsOfFakeNamesAreEmpty() throws Exception {
    startServer(first);
    Message https = client(false).send(query("www.example.com.", Type.HTTPS));
    assertThat(https.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(https.getSection(Section.ANSWER)).isEmpty();
    assertThat(first.queries()).isZero();
  }

  @Test
  void tcpQuery() throws Exception {
    startServer(first);
    Message answer = client(true).send(query("www.example.com.", Type.A));
    assertThat(pool.contains(((ARecord) answer.getSection(Section.ANSWER).get(0)).getAddress()))
        .isTrue();
    Message txt = client(true).send(query("txt.test.", Type.TXT));
    assertThat(txt.getSection(Section.ANSWER)).hasSize(1);
  }

  @Test
  void pipelinedTcpQueriesOnOneConnection() throws Exception {
    startServer(first);
    Message q1 = query("one.example.", Type.A);
    Message q2 = query("txt.test.", Type.TXT);
    q1.getHeader().setID(111);
    q2.getHeader().setID(222);
    try (Socket s = new Socket(LOOPBACK, server.localAddress().getPort())) {
      s.setSoTimeout(5000);
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      byte[] w1 = q1.toWire();
      byte[] w2 = q2.toWire();
      java.io.ByteArrayOutputStream both = new java.io.ByteArrayOutputStream();
      DataOutputStream d = new DataOutputStream(both);
      d.writeShort(w1.length);
      d.write(w1);
      d.writeShort(w2.length);
      d.write(w2);
      out.write(both.toByteArray()); // one write, two queries
      out.flush();
      DataInputStream in = new DataInputStream(s.getInputStream());
      Map<Integer, Message> answers = new HashMap<>();
      for (int i = 0; i < 2; i++) {
        byte[] wire = new byte[in.readUnsignedShort()];
        in.readFully(wire);
        Message m = new Message(wire);
        answers.put(m.getHeader().getID(), m);
      }
      assertThat(answers.get(111).getSection(Section.ANSWER).get(0)).isInstanceOf(ARecord.class);
      assertThat(answers.get(222).getSection(Section.ANSWER).get(0)).isInstanceOf(TXTRecord.class);
      // the connection stays usable for a third query
      byte[] w3 = query("three.example.", Type.A).toWire();
      out.writeShort(w3.length);
      out.write(w3);
      out.flush();
      byte[] wire = new byte[in.readUnsignedShort()];
      in.readFully(wire);
      assertThat(new Message(wire).getRcode()).isEqualTo(Rcode.NOERROR);
    }
  }

  @Test
  void idleTcpConnectionIsClosed() throws Exception {
    Upstream upstream = Upstream.builder(List.of(first.address())).build();
    FakeDnsHandler handler = new FakeDnsHandler(pool, DomainFilter.empty(), upstream);
    server = DnsServer.start(new InetSocketAddress(LOOPBACK, 0), handler, Duration.ofMillis(200));
    try (Socket s = new Socket(LOOPBACK, server.localAddress().getPort())) {
      s.setSoTimeout(5000);
      assertThat(s.getInputStream().read()).isEqualTo(-1); // closed by the server
    }
  }

  @Test
  void truncatedUpstreamUdpFallsBackToTcp() throws Exception {
    first.mode = FakeUpstream.Mode.TRUNCATE_UDP;
    startServer(first);
    Message answer = client(false).send(query("txt.test.", Type.TXT));
    assertThat(answer.getSection(Section.ANSWER)).hasSize(1);
    assertThat(first.udpQueries).hasValue(1);
    assertThat(first.tcpQueries).hasValue(1);
  }

  @Test
  void bigAnswerIsTruncatedForUdpClientsAndWholeOverTcp() throws Exception {
    startServer(first);
    Message q = query("big.test.", Type.TXT);
    byte[] raw = exchangeUdp(q.toWire()); // no EDNS: 512 bytes at most
    assertThat(raw.length).isLessThanOrEqualTo(512);
    assertThat(new Message(raw).getHeader().getFlag(Flags.TC)).isTrue();
    Message viaClient = client(false).send(q); // dnsjava retries over TCP on TC
    assertThat(viaClient.getSection(Section.ANSWER)).hasSize(40);
  }

  @Test
  void silentUpstreamFallsBackToTheSecond() throws Exception {
    first.mode = FakeUpstream.Mode.SILENT;
    startServer(first, second);
    Message answer = client(false).send(query("txt.test.", Type.TXT));
    assertThat(answer.getSection(Section.ANSWER)).hasSize(1);
    assertThat(first.udpQueries).hasValue(1);
    assertThat(second.udpQueries).hasValue(1);
  }

  @Test
  void deadUpstreamGivesServfail() throws Exception {
    first.mode = FakeUpstream.Mode.SILENT;
    second.close(); // nothing listens there any more
    startServer(first, second);
    Message answer = client(false).send(query("txt.test.", Type.TXT));
    assertThat(answer.getRcode()).isEqualTo(Rcode.SERVFAIL);
    assertThat(answer.getQuestion().getName()).isEqualTo(name("txt.test."));
    assertThat(server.stats().errors()).isEqualTo(1);
  }

  @Test
  void malformedInputIsFormerrOrDropped() throws Exception {
    startServer(first);
    // readable header, garbage body: FORMERR with the same ID
    byte[] garbage = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 5, 'a'};
    Message formerr = new Message(exchangeUdp(garbage));
    assertThat(formerr.getHeader().getID()).isEqualTo(0x1234);
    assertThat(formerr.getRcode()).isEqualTo(Rcode.FORMERR);
    assertThat(formerr.getHeader().getFlag(Flags.RD)).isTrue();
    // no question: FORMERR; opcode NOTIFY: NOTIMP
    Message empty = new Message(0x2222);
    assertThat(new Message(exchangeUdp(empty.toWire())).getRcode()).isEqualTo(Rcode.FORMERR);
    Message notify = query("x.test.", Type.SOA);
    notify.getHeader().setOpcode(Opcode.NOTIFY);
    assertThat(new Message(exchangeUdp(notify.toWire())).getRcode()).isEqualTo(Rcode.NOTIMP);
    // too short: dropped, and the server keeps serving
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
      s.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, server.localAddress()));
    }
    assertThat(client(false).send(query("still.alive.", Type.A)).getRcode())
        .isEqualTo(Rcode.NOERROR);
    assertThat(server.stats().malformed()).isEqualTo(2);
  }

  /**
   * Datagrams are read in batches into fixed slots: a query of any size must still arrive whole.
   */
  @Test
  void aQueryOfTheLargestUdpSizeIsReadWhole() throws Exception {
    startServer(first);
    Message q = query("www.example.com.", Type.A);
    int padding = 65_507 - 12 - 21 - 11 - 4; // header, question, OPT, option header: max IPv4 UDP
    q.addRecord(
        new OPTRecord(1232, 0, 0, 0, List.of(new GenericEDNSOption(12, new byte[padding]))),
        Section.ADDITIONAL);
    byte[] wire = q.toWire();
    assertThat(wire).hasSize(65_507);
    Message answer = new Message(exchangeUdp(wire));
    assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(answer.getSection(Section.ANSWER)).hasSize(1);
    assertThat(answer.getOPT()).isNotNull();
    assertThat(server.stats().malformed()).isZero();
  }

  /** A burst of queries from one socket, read and answered in batches: every one answered once. */
  @Test
  void aBurstOfQueriesIsAnsweredInFull() throws Exception {
    startServer(first);
    int count = 200;
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
      s.setReceiveBufferSize(1 << 20);
      s.setSoTimeout(5000);
      for (int i = 0; i < count; i++) {
        Message q = query("burst" + i + ".example.", i % 2 == 0 ? Type.A : Type.AAAA);
        q.getHeader().setID(i);
        byte[] wire = q.toWire();
        s.send(new DatagramPacket(wire, wire.length, server.localAddress()));
      }
      java.util.BitSet seen = new java.util.BitSet(count);
      for (int i = 0; i < count; i++) {
        DatagramPacket p = new DatagramPacket(new byte[512], 512);
        s.receive(p);
        Message answer = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        seen.set(answer.getHeader().getID());
      }
      assertThat(seen.cardinality()).isEqualTo(count);
    }
    assertThat(server.stats().fakeAnswers()).isEqualTo(count);
  }

  @Test
  void closeReleasesBothSockets() throws Exception {
    startServer(first);
    InetSocketAddress bound = server.localAddress();
    server.close();
    server = null;
    try (DatagramSocket u = new DatagramSocket(bound);
        java.net.ServerSocket t = new java.net.ServerSocket()) {
      t.bind(bound);
    }
  }

  private byte[] exchangeUdp(byte[] wire) throws IOException {
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
      s.setSoTimeout(5000);
      s.send(new DatagramPacket(wire, wire.length, server.localAddress()));
      DatagramPacket p = new DatagramPacket(new byte[65535], 65535);
      s.receive(p);
      return java.util.Arrays.copyOf(p.getData(), p.getLength());
    }
  }
}
