package dev.turnout.relay.sniff;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.IpLiterals;
import dev.turnout.relay.sniff.Sniff.Result;
import dev.turnout.relay.sniff.Sniff.Status;
import dev.turnout.testing.Fuzz;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class SniffTest {
  /**
   * curl 7.88.1 (OpenSSL 3.0.19) to https://www.example.test:PORT/, captured by a Python listener
   * on 127.0.0.1: one record, ALPN h2 and http/1.1, a padding extension to 517 bytes.
   */
  static final byte[] CURL =
      hex(
          "1603010200010001fc030331e10a44844324a3b8f054433332b93b046a6ccada6547c3836690a7f2"
              + "e1940120cc04eb04c4267703b47b523a588841a3ebfbf463789da4ea0dec748d91a3435c003e1302"
              + "13031301c02cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039"
              + "c009c0130033009d009c003d003c0035002f00ff010001750000001500130000107777772e657861"
              + "6d706c652e74657374000b000403000102000a00160014001d0017001e0019001801000101010201"
              + "0301040010000e000c02683208687474702f312e31001600000017000000310000000d002a002804"
              + "0305030603080708080809080a080b08040805080604010501060103030301030204020502060200"
              + "2b0009080304030303020301002d00020101003300260024001d0020933ce58fc7119c8d898ac009"
              + "fa2422e0cc640cae3d05ae8429c742e393d2b736001500ad00000000000000000000000000000000"
              + "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
              + "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
              + "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
              + "00000000000000000000000000000000000000000000000000000000000000000000000000");

  /** {@code openssl s_client -servername www.example.test} (OpenSSL 3.0.19), captured alike. */
  static final byte[] OPENSSL =
      hex(
          "160301013d010001390303f8bfb818524b1291e35d70d343e13883157dd2fade9d0f85a0ee8f4dae"
              + "3e464b20d2dec52d9b8164e1fc3e1354c0446c46867fe6c69273704169305e76c7229d2c003e1302"
              + "13031301c02cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039"
              + "c009c0130033009d009c003d003c0035002f00ff010000b20000001500130000107777772e657861"
              + "6d706c652e74657374000b000403000102000a00160014001d0017001e0019001801000101010201"
              + "030104002300000016000000170000000d002a0028040305030603080708080809080a080b080408"
              + "050806040105010601030303010302040205020602002b0009080304030303020301002d00020101"
              + "003300260024001d0020aa6724a7bf5ea1016751691987a08f183082bbc797528c6b91c6ccf891a1"
              + "631a");

  static final Result EXAMPLE = Result.name("www.example.test");

  static final byte[] REQUEST =
      ascii("GET / HTTP/1.1\r\nHost: www.Example.test:8080\r\nUser-Agent: curl/8\r\n\r\n");

  // ---- TLS: real clients

  @Test
  void realClientHellosNameTheirServer() {
    assertThat(tls(CURL)).isEqualTo(EXAMPLE);
    assertThat(tls(OPENSSL)).isEqualTo(EXAMPLE);
  }

  @Test
  void everyProperPrefixOfAClientHelloIsMore() {
    for (byte[] hello : new byte[][] {CURL, OPENSSL}) {
      for (int n = 0; n < hello.length; n++) {
        assertThat(tls(Arrays.copyOf(hello, n))).as("prefix %d", n).isEqualTo(Result.MORE);
      }
    }
  }

  @Test
  void aClientHelloSplitAcrossTwoRecordsAnywhereIsReassembled() {
    int handshake = CURL.length - 5;
    for (int cut = 1; cut < handshake; cut++) {
      assertThat(tls(reframe(CURL, cut))).as("cut at %d", cut).isEqualTo(EXAMPLE);
    }
  }

  @Test
  void aClientHelloInThreeRecordsIsReassembledAndEachPrefixIsMore() {
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 500; i++) {
      int a = 1 + random.nextInt(CURL.length - 7);
      int b = a + 1 + random.nextInt(CURL.length - 6 - a);
      assertThat(tls(reframe(CURL, a, b))).as("cuts %d, %d", a, b).isEqualTo(EXAMPLE);
    }
    // The handshake header itself split: a record of one byte, then of two.
    byte[] framed = reframe(CURL, 1, 3);
    assertThat(tls(framed)).isEqualTo(EXAMPLE);
    for (int n = 0; n < framed.length; n++) {
      assertThat(tls(Arrays.copyOf(framed, n))).as("prefix %d", n).isEqualTo(Result.MORE);
    }
  }

  @Test
  void aPostQuantumSizedClientHelloInTwoSegmentsIsRead() {
    // X25519MLKEM768 (0x11ec) sends 1216 key bytes beside an X25519 share: ~1.8 KB in all.
    byte[] keyShare =
        concat(
            u16(2 + 2 + 1216 + 2 + 2 + 32),
            u16(0x11ec),
            u16(1216),
            new byte[1216],
            u16(0x001d),
            u16(32),
            new byte[32]);
    byte[] hello =
        record(
            clientHello(
                sni("pq.example.test"),
                ext(0x000a, concat(u16(6), u16(0x11ec), u16(0x001d), u16(0x0017))),
                ext(0x0033, keyShare),
                ext(0x0015, new byte[360])));
    assertThat(hello.length).isBetween(1700, 1900);
    assertThat(tls(Arrays.copyOf(hello, 1448))).isEqualTo(Result.MORE); // the first segment
    assertThat(tls(hello)).isEqualTo(Result.name("pq.example.test"));
    for (int n = 0; n < hello.length; n++) {
      assertThat(tls(Arrays.copyOf(hello, n))).as("prefix %d", n).isEqualTo(Result.MORE);
    }
    assertThat(tls(reframe(hello, 1000))).isEqualTo(Result.name("pq.example.test"));
  }

  @Test
  void indexesStayAndBytesBeforeTheReaderIndexOrAfterTheHelloDoNotMatter() {
    byte[] junk = new byte[20_000];
    Arrays.fill(junk, (byte) 0xff);
    ByteBuf in = Unpooled.wrappedBuffer(concat(new byte[7], CURL, junk));
    in.readerIndex(7);
    assertThat(Sniff.tls(in)).isEqualTo(EXAMPLE);
    assertThat(in.readerIndex()).isEqualTo(7);
    assertThat(in.writerIndex()).isEqualTo(7 + CURL.length + junk.length);

    ByteBuf request = Unpooled.wrappedBuffer(concat(ascii("xx"), REQUEST, junk));
    request.readerIndex(2);
    assertThat(Sniff.http(request)).isEqualTo(EXAMPLE);
    assertThat(request.readerIndex()).isEqualTo(2);
  }

  // ---- TLS: hand-built edge cases

  @Test
  void aBuiltClientHelloIsReadLikeARealOne() {
    assertThat(tls(record(clientHello(sni("a.example.test"))))).isEqualTo(name("a.example.test"));
    assertThat(tls(record(clientHello(sni("A.Example.TEST."))))).isEqualTo(name("a.example.test"));
  }

  @Test
  void aClientHelloWithoutAUsableServerNameIsNone() {
    assertThat(tls(record(clientHello()))).as("no extensions").isEqualTo(Result.NONE);
    assertThat(tls(record(clientHello(ext(0x0017, new byte[0])))))
        .as("no server_name")
        .isEqualTo(Result.NONE);
    assertThat(tls(record(clientHello(ext(0, new byte[0]))))).as("empty").isEqualTo(Result.NONE);
    for (String literal : new String[] {"192.0.2.1", "2130706433", "127.1", "0x7f.0.0.1", "::1"}) {
      assertThat(tls(record(clientHello(sni(literal))))).as(literal).isEqualTo(Result.NONE);
    }
    for (String bad : new String[] {"exa mple.test", "-a.test", "a-.test", "a..test", "a_b.tést"}) {
      assertThat(tls(record(clientHello(sni(bad))))).as(bad).isEqualTo(Result.NONE);
    }
    byte[] otherType = concat(u16(4 + 1), new byte[] {1}, u16(2), ascii("ab"));
    assertThat(tls(record(clientHello(ext(0, otherType)))))
        .as("no host_name")
        .isEqualTo(Result.NONE);
    assertThat(tls(record(clientHello(sni("a.test"), sni("b.test")))))
        .as("two server_name extensions")
        .isEqualTo(Result.NONE);
  }

  @Test
  void badLengthsAnywhereAreNone() {
    int sniExt = indexOf(CURL, hex("0000001500130000107777772e"));
    byte[] extTooLong = CURL.clone();
    extTooLong[sniExt + 3]++;
    assertThat(tls(extTooLong)).as("extension length").isEqualTo(Result.NONE);
    byte[] listTooShort = CURL.clone();
    listTooShort[sniExt + 5]--;
    assertThat(tls(listTooShort)).as("server_name_list length").isEqualTo(Result.NONE);
    byte[] nameTooLong = CURL.clone();
    nameTooLong[sniExt + 8]++;
    assertThat(tls(nameTooLong)).as("host_name length").isEqualTo(Result.NONE);
    byte[] extensionsShort = CURL.clone();
    extensionsShort[sniExt - 1]--;
    assertThat(tls(extensionsShort)).as("extensions length").isEqualTo(Result.NONE);
    byte[] sessionIdTooLong = CURL.clone();
    sessionIdTooLong[5 + 4 + 34] = 33;
    assertThat(tls(sessionIdTooLong)).as("session id length").isEqualTo(Result.NONE);
    byte[] trailing = record(concat(Arrays.copyOfRange(CURL, 5, CURL.length), new byte[1]));
    trailing[5 + 3]++; // the ClientHello's length, now with one byte after its extensions
    assertThat(tls(trailing)).as("a byte after the extensions").isEqualTo(Result.NONE);
    byte[] handshakeShort = record(Arrays.copyOfRange(CURL, 5, CURL.length));
    handshakeShort[5 + 3]--; // the ClientHello's length, one less than its extensions need
    assertThat(tls(handshakeShort)).as("handshake length").isEqualTo(Result.NONE);
  }

  @Test
  void otherFirstBytesAreNoneAsSoonAsTheyDiffer() {
    byte[] appData = CURL.clone();
    appData[0] = 23;
    assertThat(tls(appData)).as("record type 23").isEqualTo(Result.NONE);
    assertThat(tls(new byte[] {23})).isEqualTo(Result.NONE);
    assertThat(tls(new byte[] {22, 2})).as("version 2.x").isEqualTo(Result.NONE);
    assertThat(tls(new byte[] {22, 3, 5})).as("version 3.5").isEqualTo(Result.NONE);
    assertThat(tls(new byte[] {22, 3, 1, 0x40, 1})).as("record over 2^14").isEqualTo(Result.NONE);
    assertThat(tls(new byte[] {22, 3, 1, 0, 0})).as("empty record").isEqualTo(Result.NONE);
    assertThat(tls(new byte[] {22, 3, 1, 1, 0, 2})).as("a ServerHello").isEqualTo(Result.NONE);
    // SSLv2-compatible: a two-byte length with the top bit set, then CLIENT-HELLO (1).
    assertThat(tls(hex("802b0103010012000000100000"))).as("SSLv2").isEqualTo(Result.NONE);
    assertThat(tls(REQUEST)).as("HTTP").isEqualTo(Result.NONE);
    byte[] notHandshake = reframe(CURL, 100);
    notHandshake[5 + 100] = 20; // the second record a ChangeCipherSpec
    assertThat(tls(notHandshake)).as("a record of another type mid-hello").isEqualTo(Result.NONE);
  }

  @Test
  void helloesNeedingMoreThanMaxBytesAreNone() {
    // A declared ClientHello of 20,000 bytes: known from its first nine bytes.
    assertThat(tls(hex("160301400001004e20"))).isEqualTo(Result.NONE);
    assertThat(tls(hex("1603014000010040"))).as("16 KiB and more").isEqualTo(Result.MORE);
    assertThat(tls(hex("16030140000100400000"))).isEqualTo(Result.NONE);
    // 511 handshake bytes fit, but not in records of one byte: 3066 bytes needed at 6 a byte.
    int[] cuts = new int[CURL.length - 6];
    Arrays.setAll(cuts, i -> i + 1);
    byte[] fine = reframe(CURL, cuts);
    assertThat(fine.length).isLessThan(Sniff.MAX_BYTES);
    assertThat(tls(fine)).isEqualTo(EXAMPLE);
    byte[] big = record(clientHello(sni("big.example.test"), ext(0x0015, new byte[3000])));
    int[] tiny = new int[big.length - 6];
    Arrays.setAll(tiny, i -> i + 1);
    byte[] tooMany = reframe(big, tiny);
    assertThat(tooMany.length).isGreaterThan(Sniff.MAX_BYTES);
    assertThat(tls(Arrays.copyOf(tooMany, Sniff.MAX_BYTES - 1))).isEqualTo(Result.MORE);
    assertThat(tls(Arrays.copyOf(tooMany, Sniff.MAX_BYTES))).isEqualTo(Result.NONE);
    assertThat(tls(tooMany)).isEqualTo(Result.NONE);
    assertThat(tls(reframe(big, 2000))).isEqualTo(name("big.example.test"));
  }

  // ---- HTTP

  @Test
  void theHostHeaderNamesTheServer() {
    assertThat(http(REQUEST)).isEqualTo(EXAMPLE);
    assertThat(http("GET / HTTP/1.1\r\nHost: www.Example.test:8080\r\n\r\n")).isEqualTo(EXAMPLE);
    assertThat(http("POST /x HTTP/1.0\r\nAccept: */*\r\nhost:www.example.test\r\n\r\n"))
        .isEqualTo(EXAMPLE);
    assertThat(http("PUT /x HTTP/1.1\r\nHOST: \t www.example.test. \t\r\nX: y\r\n\r\n"))
        .isEqualTo(EXAMPLE);
    assertThat(http("GET http://other.test/ HTTP/1.1\r\nHost: www.example.test\r\n\r\n"))
        .as("absolute form: the Host header counts")
        .isEqualTo(EXAMPLE);
    assertThat(http("CONNECT www.example.test:443 HTTP/1.1\r\nHost: www.example.test:443\r\n\r\n"))
        .isEqualTo(EXAMPLE);
    for (String method : new String[] {"HEAD", "DELETE", "OPTIONS", "TRACE", "PATCH"}) {
      assertThat(http(method + " * HTTP/1.1\r\nHost: www.example.test\r\n\r\n"))
          .as(method)
          .isEqualTo(EXAMPLE);
    }
  }

  @Test
  void requestsWithoutAUsableHostAreNone() {
    assertThat(http("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n")).as("missing").isEqualTo(Result.NONE);
    assertThat(http("GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n")).isEqualTo(Result.NONE);
    assertThat(http("GET / HTTP/1.1\r\nHost: [2001:db8::1]\r\n\r\n")).isEqualTo(Result.NONE);
    assertThat(http("GET / HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n")).isEqualTo(Result.NONE);
    assertThat(http("GET / HTTP/1.1\r\nHost: \r\n\r\n")).as("empty").isEqualTo(Result.NONE);
    assertThat(http("GET / HTTP/1.1\r\nHost: a.test:80x\r\n\r\n"))
        .as("port")
        .isEqualTo(Result.NONE);
    assertThat(http("GET / HTTP/1.1\r\nHost: u@a.test\r\n\r\n")).isEqualTo(Result.NONE);
    assertThat(http("GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n"))
        .as("two Hosts")
        .isEqualTo(Result.NONE);
    assertThat(http("GET / HTTP/1.1\r\nHost : a.test\r\n\r\n")).isEqualTo(Result.NONE);
    assertThat(http("GET / HTTP/1.1\r\nX: y\r\n z\r\nHost: a.test\r\n\r\n"))
        .as("a folded line")
        .isEqualTo(Result.NONE);
    assertThat(http("GET / HTTP/1.1\nHost: a.test\n\n")).as("bare LF").isEqualTo(Result.NONE);
  }

  @Test
  void otherProtocolsAreNoneAsSoonAsTheyDiffer() {
    assertThat(http("SSH-2.0-OpenSSH_9.2\r\n")).isEqualTo(Result.NONE);
    assertThat(http("S")).isEqualTo(Result.NONE);
    assertThat(http("G")).isEqualTo(Result.MORE);
    assertThat(http("GE")).isEqualTo(Result.MORE);
    assertThat(http("GETX")).isEqualTo(Result.NONE);
    assertThat(http("get / HTTP/1.1\r\n")).isEqualTo(Result.NONE);
    assertThat(http("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")).as("h2 preface").isEqualTo(Result.NONE);
    assertThat(http("GET / HTTP/2")).isEqualTo(Result.NONE);
    assertThat(http("GET  / HTTP/1.1\r\n")).isEqualTo(Result.NONE);
    assertThat(tls(REQUEST)).isEqualTo(Result.NONE);
    assertThat(http(CURL)).isEqualTo(Result.NONE);
  }

  @Test
  void everyProperPrefixOfARequestIsMore() {
    assertThat(http("GET / HTTP/1.1\r\nHost: www.exam")).isEqualTo(Result.MORE);
    for (int n = 0; n < REQUEST.length; n++) {
      assertThat(http(Arrays.copyOf(REQUEST, n))).as("prefix %d", n).isEqualTo(Result.MORE);
    }
  }

  @Test
  void headersLongerThanMaxBytesAreNone() {
    String start = "GET / HTTP/1.1\r\nHost: a.test\r\nCookie: ";
    String cookie = "x".repeat(Sniff.MAX_BYTES);
    assertThat(http(start + cookie.substring(start.length() + 1))).isEqualTo(Result.MORE);
    assertThat(http(start + cookie.substring(start.length()))).isEqualTo(Result.NONE);
    assertThat(http(start + cookie + "\r\n\r\n")).isEqualTo(Result.NONE);
  }

  // ---- Names

  @Test
  void hostNamesAreLowerCasedAndChecked() {
    assertThat(Sniff.hostName("WWW.Example.Test.")).isEqualTo("www.example.test");
    assertThat(Sniff.hostName("localhost")).isEqualTo("localhost");
    assertThat(Sniff.hostName("_dmarc.x-1.example")).isEqualTo("_dmarc.x-1.example");
    assertThat(Sniff.hostName("1.2.3.example")).isEqualTo("1.2.3.example");
    assertThat(Sniff.hostName("a." + "b".repeat(63) + ".test")).isNotNull();
    String longest = ("a".repeat(62) + ".").repeat(4) + "a".repeat(1);
    assertThat(longest).hasSize(253);
    assertThat(Sniff.hostName(longest)).isEqualTo(longest);
    assertThat(Sniff.hostName(longest + ".")).isEqualTo(longest);
    for (String bad :
        new String[] {
          "",
          ".",
          "..",
          "a..b",
          ".a",
          "a.b..",
          "a" + "b".repeat(63),
          longest + "a",
          "-a",
          "a-",
          "a.-b",
          "a.b-",
          "a b",
          "a/b",
          "a:80",
          "[::1]",
          "é.test",
          "192.0.2.1",
          "192.0.2.1.",
          "01.2.3.4",
          "127.1",
          "2130706433",
          "0x7f.0.0.1",
          "a.0X1f",
          "a.0x",
          "::1"
        }) {
      assertThat(Sniff.hostName(bad)).as(bad).isNull();
    }
    assertThat(Sniff.hostName("1.2.3.4e")).as("a last label not a number").isEqualTo("1.2.3.4e");
  }

  // ---- Fuzz

  private static final long SEED = 0x5_1ff_0001L;

  @Test
  void randomAndMutatedBytesNeverThrowAndOnlyYieldValidNames() {
    SplittableRandom random = Fuzz.random(SEED);
    int cases = Fuzz.iterations(100_000);
    byte[] request = REQUEST;
    int names = 0;
    for (int i = 0; i < cases; i++) {
      byte[] input =
          switch (i % 4) {
            case 0 -> Fuzz.bytes(random, random.nextInt(3001));
            case 1 -> Fuzz.mutate(random.nextBoolean() ? CURL : OPENSSL, random);
            case 2 -> Fuzz.mutate(request, random);
            default -> Fuzz.mutate(reframe(CURL, 1 + random.nextInt(CURL.length - 6)), random);
          };
      if (input.length > 3000) {
        input = Arrays.copyOf(input, 3000);
      }
      String where = Fuzz.where(SEED, i);
      names += check(input, Sniff::tls, where + " tls", random);
      names += check(input, Sniff::http, where + " http", random);
    }
    assertThat(names).as("mutations keep some names").isPositive();
  }

  /**
   * Sniffs {@code input} (behind a random offset), checks the answer, and that a few of its proper
   * prefixes agree: a prefix says MORE or what the whole says, since more bytes never change a
   * decision. Returns 1 for a name.
   */
  private static int check(
      byte[] input, Function<ByteBuf, Result> sniff, String where, SplittableRandom random) {
    Result whole = at(input, random.nextInt(4), sniff, where);
    if (whole.status() == Status.NAME) {
      assertThat(Sniff.hostName(whole.name())).as(where).isEqualTo(whole.name());
      assertThat(IpLiterals.parseHostOrNull(whole.name())).as(where).isNull();
    }
    for (int k = 0; k < 4 && input.length > 0; k++) {
      int n = random.nextInt(input.length);
      assertThat(at(Arrays.copyOf(input, n), 0, sniff, where))
          .as("%s, prefix %d", where, n)
          .isIn(Result.MORE, whole);
    }
    return whole.status() == Status.NAME ? 1 : 0;
  }

  /** Sniffs {@code input} placed {@code offset} bytes into an exactly sized buffer. */
  private static Result at(
      byte[] input, int offset, Function<ByteBuf, Result> sniff, String where) {
    ByteBuf in = Unpooled.wrappedBuffer(concat(new byte[offset], input));
    in.readerIndex(offset);
    Result result = sniff.apply(in);
    assertThat(in.readerIndex()).as(where).isEqualTo(offset);
    assertThat(in.writerIndex()).as(where).isEqualTo(offset + input.length);
    return result;
  }

  // ---- Helpers

  static Result tls(byte[] bytes) {
    return Sniff.tls(Unpooled.wrappedBuffer(bytes));
  }

  static Result http(byte[] bytes) {
    return Sniff.http(Unpooled.wrappedBuffer(bytes));
  }

  static Result http(String text) {
    return http(ascii(text));
  }

  static Result name(String name) {
    return Result.name(name);
  }

  /** The handshake of a one-record {@code hello} in records cut at the handshake offsets. */
  static byte[] reframe(byte[] hello, int... cuts) {
    byte[] handshake = Arrays.copyOfRange(hello, 5, hello.length);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int from = 0;
    for (int i = 0; i <= cuts.length; i++) {
      int to = i < cuts.length ? cuts[i] : handshake.length;
      out.writeBytes(record(Arrays.copyOfRange(handshake, from, to)));
      from = to;
    }
    return out.toByteArray();
  }

  /** A handshake record (version 3.1, as clients send in their first record) of {@code body}. */
  static byte[] record(byte[] body) {
    return concat(new byte[] {22, 3, 1}, u16(body.length), body);
  }

  /** A ClientHello handshake message (header included) with these extensions. */
  static byte[] clientHello(byte[]... extensions) {
    byte[] body =
        concat(
            new byte[] {3, 3},
            new byte[32],
            new byte[] {32},
            new byte[32],
            u16(4),
            u16(0x1301),
            u16(0x1302),
            new byte[] {1, 0},
            extensions.length == 0
                ? new byte[0]
                : concat(u16(length(extensions)), concat(extensions)));
    return concat(new byte[] {1, 0}, u16(body.length), body);
  }

  static byte[] sni(String name) {
    byte[] host = name.getBytes(StandardCharsets.UTF_8);
    return ext(0, concat(u16(3 + host.length), new byte[] {0}, u16(host.length), host));
  }

  static byte[] ext(int type, byte[] data) {
    return concat(u16(type), u16(data.length), data);
  }

  static byte[] u16(int value) {
    return new byte[] {(byte) (value >>> 8), (byte) value};
  }

  static int length(byte[]... parts) {
    return Arrays.stream(parts).mapToInt(p -> p.length).sum();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  static int indexOf(byte[] in, byte[] what) {
    for (int i = 0; i + what.length <= in.length; i++) {
      if (Arrays.equals(in, i, i + what.length, what, 0, what.length)) {
        return i;
      }
    }
    throw new AssertionError("not found");
  }

  static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex);
  }

  static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }
}
