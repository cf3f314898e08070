package dev.turnout.relay.sniff;

import static dev.turnout.relay.sniff.SniffTest.CURL;
import static dev.turnout.relay.sniff.SniffTest.EXAMPLE;
import static dev.turnout.relay.sniff.SniffTest.clientHello;
import static dev.turnout.relay.sniff.SniffTest.concat;
import static dev.turnout.relay.sniff.SniffTest.ext;
import static dev.turnout.relay.sniff.SniffTest.hex;
import static dev.turnout.relay.sniff.SniffTest.sni;
import static dev.turnout.relay.sniff.SniffTest.u16;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.IpLiterals;
import dev.turnout.relay.sniff.Sniff.Result;
import dev.turnout.relay.sniff.Sniff.Status;
import dev.turnout.testing.Fuzz;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class QuicSniffTest {
  /**
   * The first six datagrams Chromium 156.0.8078.114 (Debian 12) sent to https://www.example.test/
   * over QUIC, to a listener that never answered: in a throwaway network namespace,
   *
   * <pre>
   * ip netns add qcap$$ && ip netns exec qcap$$ ip link set lo up
   * ip netns exec qcap$$ python3 listen.py OUT 6 &   # binds 127.0.0.1:443, writes each datagram
   * ip netns exec qcap$$ timeout 15 chromium --headless --no-sandbox --disable-gpu --no-first-run \
   *   --disable-background-networking --disable-component-update --disable-sync \
   *   --user-data-dir=$(mktemp -d) --enable-quic --origin-to-force-quic-on=www.example.test:443 \
   *   --host-resolver-rules="MAP www.example.test 127.0.0.1" https://www.example.test/
   * ip netns del qcap$$   # and the user data dir removed
   * </pre>
   *
   * Each is one 1250-byte v1 Initial with DCID eb6d3020a6222d46. The ClientHello (1946 bytes: an
   * X25519MLKEM768 key share, ECH GREASE) is cut into CRYPTO frames in random order with PINGs and
   * PADDING between them: 0 holds [0, 74) and [1049, 1946), 1 holds [74, 1049); 2 and 4 are
   * retransmissions of 0's ranges, 3 of 1's, in other cuts; 5 is a CONNECTION_CLOSE. No flag of
   * this Chromium turns the post-quantum share off (PostQuantumKyber is gone), so one-datagram
   * hellos are built below instead.
   */
  static final byte[][] CHROMIUM = new byte[6][];

  /** The ClientHello those datagrams carry, decrypted from 0 and 1 (with Python's cryptography). */
  static final byte[] CHROMIUM_HELLO = resource("chromium-client-hello.bin");

  /** RFC 9001 Appendix A.2: the client Initial, 1200 bytes, SNI example.com. */
  static final byte[] RFC9001 = hexResource("rfc9001-a2-client-initial.hex");

  /** RFC 9369 Appendix A.2: the same for QUIC v2. */
  static final byte[] RFC9369 = hexResource("rfc9369-a2-client-initial.hex");

  /** The unprotected payload of both (RFC 9001 A.2): one CRYPTO frame, then 917 PADDING bytes. */
  static final byte[] RFC_PAYLOAD =
      concat(
          hex(
              "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
                  + "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
                  + "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
                  + "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
                  + "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
                  + "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
                  + "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
                  + "75300901100f088394c8f03e51570806048000ffff"),
          new byte[917]);

  static final byte[] RFC_DCID = hex("8394c8f03e515708");

  static {
    for (int i = 0; i < CHROMIUM.length; i++) {
      CHROMIUM[i] = resource("chromium-initial-" + i + ".bin");
    }
  }

  /** curl's ClientHello handshake message, without its record header: fits one Initial. */
  static final byte[] SMALL_HELLO = Arrays.copyOfRange(CURL, 5, CURL.length);

  static final int V1 = 1;
  static final int V2 = 0x6b3343cf;

  // ---- Real captures

  @Test
  void chromiumsPostQuantumHelloTakesTwoDatagrams() {
    QuicSniff sniff = new QuicSniff();
    assertThat(offer(sniff, CHROMIUM[0])).isEqualTo(Result.MORE);
    assertThat(offer(sniff, CHROMIUM[1])).isEqualTo(EXAMPLE);
    assertThat(offer(sniff, CHROMIUM[5])).as("answered: stays").isEqualTo(EXAMPLE);
    assertThat(offer(sniff, new byte[] {1, 2, 3})).isEqualTo(EXAMPLE);
  }

  @Test
  void chromiumsDatagramsInAnyOrderRetransmittedOrRepeatedNameTheServer() {
    int[][] orders = {
      {1, 0}, {0, 0, 1}, {1, 1, 0}, {0, 2, 4, 3}, {2, 3}, {3, 4}, {4, 1}, {0, 2, 1}, {3, 0}
    };
    for (int[] order : orders) {
      QuicSniff sniff = new QuicSniff();
      for (int k = 0; k < order.length; k++) {
        Result expected = k == order.length - 1 ? EXAMPLE : Result.MORE;
        assertThat(offer(sniff, CHROMIUM[order[k]]))
            .as("%s, datagram %d", Arrays.toString(order), k)
            .isEqualTo(expected);
      }
    }
  }

  @Test
  void chromiumsConnectionCloseBeforeTheNameIsNone() {
    assertThat(offer(new QuicSniff(), CHROMIUM[5])).isEqualTo(Result.NONE);
    QuicSniff sniff = new QuicSniff();
    assertThat(offer(sniff, CHROMIUM[0])).isEqualTo(Result.MORE);
    assertThat(offer(sniff, CHROMIUM[5])).isEqualTo(Result.NONE);
    assertThat(offer(sniff, CHROMIUM[1])).as("answered: stays").isEqualTo(Result.NONE);
  }

  @Test
  void indexesAndBytesStayAsTheyWere() {
    QuicSniff sniff = new QuicSniff();
    for (int i = 0; i < 2; i++) {
      byte[] datagram = CHROMIUM[i];
      ByteBuf in = Unpooled.wrappedBuffer(concat(new byte[9], datagram, new byte[5]));
      in.setIndex(9, 9 + datagram.length);
      sniff.offer(in);
      assertThat(in.readerIndex()).isEqualTo(9);
      assertThat(in.writerIndex()).isEqualTo(9 + datagram.length);
      assertThat(in.refCnt()).isEqualTo(1);
      byte[] after = new byte[datagram.length];
      in.getBytes(9, after);
      assertThat(after).isEqualTo(datagram);
    }
    // A direct buffer, whose bytes have no array behind them.
    ByteBuf direct = Unpooled.directBuffer(1500);
    direct.writeBytes(CHROMIUM[1]);
    QuicSniff other = new QuicSniff();
    assertThat(offer(other, CHROMIUM[0])).isEqualTo(Result.MORE);
    assertThat(other.offer(direct)).isEqualTo(EXAMPLE);
    direct.release();
  }

  @Test
  void everyTruncationOfACaptureIsNone() {
    for (int n = 0; n < CHROMIUM[0].length; n++) {
      assertThat(offer(new QuicSniff(), Arrays.copyOf(CHROMIUM[0], n)))
          .as("first datagram cut at %d", n)
          .isEqualTo(Result.NONE);
      QuicSniff sniff = new QuicSniff();
      assertThat(offer(sniff, CHROMIUM[0])).isEqualTo(Result.MORE);
      assertThat(offer(sniff, Arrays.copyOf(CHROMIUM[1], n)))
          .as("second datagram cut at %d", n)
          .isEqualTo(Result.NONE);
    }
  }

  // ---- RFC test vectors

  @Test
  void theRfcClientInitialsNameTheirServer() {
    assertThat(offer(new QuicSniff(), RFC9001)).isEqualTo(Result.name("example.com"));
    assertThat(offer(new QuicSniff(), RFC9369)).isEqualTo(Result.name("example.com"));
  }

  @Test
  void theTestEncoderMakesTheRfcPacketsByteForByte() {
    assertThat(Initial.build(V1, RFC_DCID, RFC_PAYLOAD).pn(2, 4).bytes()).isEqualTo(RFC9001);
    assertThat(Initial.build(V2, RFC_DCID, RFC_PAYLOAD).pn(2, 4).bytes()).isEqualTo(RFC9369);
  }

  // ---- Built packets

  @Test
  void aHelloInOneInitialIsNamedAtOnceInBothVersions() {
    for (int version : new int[] {V1, V2}) {
      for (int pnLength = 1; pnLength <= 4; pnLength++) {
        byte[] datagram = Initial.of(version, crypto(0, SMALL_HELLO)).pn(0, pnLength).bytes();
        assertThat(offer(new QuicSniff(), datagram))
            .as("version %x, packet number in %d", version, pnLength)
            .isEqualTo(EXAMPLE);
      }
    }
    byte[] token = new byte[77];
    Arrays.fill(token, (byte) 0xa5);
    byte[] withToken = Initial.build(V1, dcid(17), crypto(0, SMALL_HELLO)).token(token).bytes();
    assertThat(offer(new QuicSniff(), withToken)).as("a token").isEqualTo(EXAMPLE);
    byte[] emptyDcid = Initial.build(V1, new byte[0], crypto(0, SMALL_HELLO)).bytes();
    assertThat(offer(new QuicSniff(), emptyDcid)).as("an empty DCID").isEqualTo(EXAMPLE);
  }

  @Test
  void cryptoFramesOutOfOrderOverlappingAndSplitAcrossDatagramsAreJoined() {
    SplittableRandom random = new SplittableRandom(9);
    for (int round = 0; round < 300; round++) {
      int version = random.nextBoolean() ? V1 : V2;
      byte[] hello = random.nextBoolean() ? CHROMIUM_HELLO : SMALL_HELLO;
      String name = "round " + round;
      // Frames of random ranges covering the hello, some overlapping, in random order.
      List<byte[]> frames = new ArrayList<>();
      for (int from = 0; from < hello.length; ) {
        int to = Math.min(hello.length, from + 1 + random.nextInt(400));
        int back = random.nextInt(4) == 0 ? random.nextInt(from + 1) : 0;
        frames.add(crypto(from - back, Arrays.copyOfRange(hello, from - back, to)));
        from = to;
      }
      if (random.nextBoolean()) {
        int a = random.nextInt(hello.length);
        frames.add(crypto(a, Arrays.copyOfRange(hello, a, hello.length))); // a retransmission
      }
      for (int k = random.nextInt(6); k > 0; k--) {
        frames.add(
            switch (random.nextInt(4)) {
              case 0 -> new byte[] {1};
              case 1 -> new byte[1 + random.nextInt(40)];
              case 2 -> ack(random.nextLong(1L << 40), random.nextInt(5), false);
              default -> ack(random.nextInt(1000), random.nextInt(3), true);
            });
      }
      Collections.shuffle(frames, new java.util.Random(random.nextLong()));
      int datagrams = 1 + random.nextInt(4);
      List<List<byte[]>> split = new ArrayList<>();
      for (int d = 0; d < datagrams; d++) {
        split.add(new ArrayList<>());
      }
      for (byte[] frame : frames) {
        split.get(random.nextInt(datagrams)).add(frame);
      }
      byte[] dcid = dcid(8);
      QuicSniff sniff = new QuicSniff();
      BitSet covered = new BitSet();
      for (int d = 0; d < datagrams; d++) {
        List<byte[]> mine = split.get(d);
        mine.add(0, new byte[] {1}); // a PING first: no packet without frames
        for (byte[] frame : mine) {
          covered.or(coverage(frame));
        }
        byte[] datagram;
        if (random.nextBoolean() && mine.size() > 1) {
          // Two Initials coalesced in one datagram.
          int cut = 1 + random.nextInt(mine.size() - 1);
          datagram =
              concat(
                  Initial.of(version, concat(mine.subList(0, cut).toArray(byte[][]::new)))
                      .dcid(dcid)
                      .pn(2 * d, 1)
                      .bytes(),
                  Initial.of(version, concat(mine.subList(cut, mine.size()).toArray(byte[][]::new)))
                      .dcid(dcid)
                      .pn(2 * d + 1, 2)
                      .bytes());
        } else {
          datagram =
              Initial.of(version, concat(mine.toArray(byte[][]::new))).dcid(dcid).pn(d, 4).bytes();
        }
        boolean complete = covered.nextClearBit(0) >= hello.length;
        Result expected = complete ? Result.name(helloName(hello)) : Result.MORE;
        Result got = offer(sniff, datagram);
        assertThat(got).as("%s, datagram %d", name, d).isEqualTo(expected);
        if (complete) {
          break;
        }
      }
    }
  }

  @Test
  void chromiumsHelloRebuiltInTwoV2DatagramsIsNamedAfterTheSecond() {
    byte[] dcid = dcid(8);
    byte[] first = Initial.v2(dcid, crypto(1000, Arrays.copyOfRange(CHROMIUM_HELLO, 1000, 1946)));
    byte[] second = Initial.v2(dcid, crypto(0, Arrays.copyOf(CHROMIUM_HELLO, 1000)));
    QuicSniff sniff = new QuicSniff();
    assertThat(offer(sniff, first)).isEqualTo(Result.MORE);
    assertThat(offer(sniff, second)).isEqualTo(EXAMPLE);
  }

  @Test
  void otherLongHeaderPacketsCoalescedWithTheInitialAreSkipped() {
    byte[] dcid = dcid(8);
    byte[] initial = Initial.v1(dcid, crypto(0, SMALL_HELLO));
    byte[] zeroRtt = other(V1, 1, dcid, 300);
    byte[] handshake = other(V1, 2, dcid, 100);
    byte[] shortHeader = concat(new byte[] {0x41}, dcid, new byte[60]);
    assertThat(offer(new QuicSniff(), concat(initial, zeroRtt))).isEqualTo(EXAMPLE);
    assertThat(offer(new QuicSniff(), concat(initial, handshake, zeroRtt, shortHeader)))
        .isEqualTo(EXAMPLE);
    assertThat(offer(new QuicSniff(), concat(initial, new byte[200])))
        .as("zeros after")
        .isEqualTo(EXAMPLE);
    byte[] v2 = concat(Initial.v2(dcid, crypto(0, SMALL_HELLO)), other(V2, 1, dcid, 50));
    assertThat(offer(new QuicSniff(), v2)).isEqualTo(EXAMPLE);

    // The hello in a second Initial after a Handshake packet in the same datagram.
    byte[] ping = Initial.v1(dcid, new byte[] {1});
    assertThat(offer(new QuicSniff(), concat(ping, handshake, initial))).isEqualTo(EXAMPLE);

    // A later datagram of 0-RTT packets only: nothing to read there, but no reason to give up.
    QuicSniff sniff = new QuicSniff();
    assertThat(offer(sniff, Initial.v1(dcid, crypto(0, Arrays.copyOf(SMALL_HELLO, 100)))))
        .isEqualTo(Result.MORE);
    assertThat(offer(sniff, zeroRtt)).isEqualTo(Result.MORE);
    assertThat(
            offer(sniff, Initial.v1(dcid, crypto(100, Arrays.copyOfRange(SMALL_HELLO, 100, 512)))))
        .isEqualTo(EXAMPLE);

    // Packets after the first with another DCID are ignored (RFC 9000 §12.2).
    byte[] stranger = Initial.v1(dcid(8), crypto(0, SMALL_HELLO));
    assertThat(offer(new QuicSniff(), concat(ping, stranger))).isEqualTo(Result.MORE);

    assertThat(offer(new QuicSniff(), zeroRtt)).as("no Initial first").isEqualTo(Result.NONE);
    assertThat(offer(new QuicSniff(), concat(handshake, initial)))
        .as("an Initial after a Handshake packet: out of order, still read")
        .isEqualTo(EXAMPLE);
    assertThat(offer(new QuicSniff(), concat(initial, Arrays.copyOf(handshake, 50))))
        .as("a truncated packet after it")
        .isEqualTo(Result.NONE);
  }

  @Test
  void datagramsThatAreNotQuicInitialsAreNone() {
    byte[] dns = hex("12340100000100000000000003777777076578616d706c650474657374000001" + "0001");
    assertThat(offer(new QuicSniff(), dns)).as("DNS").isEqualTo(Result.NONE);
    assertThat(offer(new QuicSniff(), new byte[0])).as("empty").isEqualTo(Result.NONE);
    assertThat(offer(new QuicSniff(), concat(new byte[] {0x40}, dcid(8), new byte[100])))
        .as("a short header")
        .isEqualTo(Result.NONE);
    assertThat(offer(new QuicSniff(), CURL)).as("TLS over UDP?").isEqualTo(Result.NONE);
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < 1000; i++) {
      byte[] noise = Fuzz.bytes(random, random.nextInt(1500));
      assertThat(offer(new QuicSniff(), noise)).as("noise %d", i).isEqualTo(Result.NONE);
    }
    byte[] retry = concat(hex("f000000001"), new byte[] {8}, dcid(8), new byte[] {0}, new byte[40]);
    assertThat(offer(new QuicSniff(), retry)).as("a Retry").isEqualTo(Result.NONE);
  }

  @Test
  void otherVersionsAreNone() {
    byte[] hello = crypto(0, SMALL_HELLO);
    for (int version : new int[] {0, 2, 0xff00001d, 0x709a50c4, 0x1a2a3a4a}) {
      assertThat(offer(new QuicSniff(), Initial.of(version, hello).bytes()))
          .as("version %x", version)
          .isEqualTo(Result.NONE);
    }
    // A v1 Initial that says it is v2: its type bits then say Retry.
    byte[] v1 = Initial.v1(dcid(8), hello);
    System.arraycopy(hex("6b3343cf"), 0, v1, 1, 4);
    assertThat(offer(new QuicSniff(), v1)).isEqualTo(Result.NONE);
    // The v2 type bits of an Initial on a v1 packet: a 0-RTT packet, so no Initial.
    assertThat(offer(new QuicSniff(), Initial.of(V1, hello).typeBits(1).bytes()))
        .isEqualTo(Result.NONE);
  }

  @Test
  void aBadTagIsNoneFirstAndSkippedOnceAPacketHasDecrypted() {
    byte[] dcid = dcid(8);
    byte[] good = Initial.v1(dcid, crypto(0, SMALL_HELLO));
    for (int at : new int[] {good.length - 1, good.length - 17, 40}) {
      byte[] bad = good.clone();
      bad[at] ^= 1;
      assertThat(offer(new QuicSniff(), bad)).as("flipped at %d", at).isEqualTo(Result.NONE);
    }
    byte[] badDcid = good.clone();
    badDcid[7] ^= 1; // other keys
    assertThat(offer(new QuicSniff(), badDcid)).isEqualTo(Result.NONE);

    QuicSniff sniff = new QuicSniff();
    assertThat(offer(sniff, Initial.v1(dcid, crypto(0, Arrays.copyOf(SMALL_HELLO, 10)))))
        .isEqualTo(Result.MORE);
    byte[] forged = good.clone();
    forged[forged.length - 1] ^= 1;
    assertThat(offer(sniff, forged)).as("skipped").isEqualTo(Result.MORE);
    assertThat(offer(sniff, good)).isEqualTo(EXAMPLE);
  }

  @Test
  void helloesWithoutAUsableNameAreNone() {
    byte[] noSni = clientHello(ext(0x0017, new byte[0]), ext(0x0015, new byte[100]));
    assertThat(offer(new QuicSniff(), Initial.v1(dcid(8), crypto(0, noSni))))
        .isEqualTo(Result.NONE);
    assertThat(
            offer(new QuicSniff(), Initial.v1(dcid(8), crypto(0, clientHello(sni("192.0.2.1"))))))
        .isEqualTo(Result.NONE);
    assertThat(offer(new QuicSniff(), Initial.v2(dcid(8), crypto(0, clientHello(sni("a..test"))))))
        .isEqualTo(Result.NONE);
    byte[] serverHello = SMALL_HELLO.clone();
    serverHello[0] = 2;
    assertThat(
            offer(new QuicSniff(), Initial.v1(dcid(8), crypto(0, Arrays.copyOf(serverHello, 1)))))
        .as("known from the first byte")
        .isEqualTo(Result.NONE);
    // A record header in front, as TLS over TCP has: not a handshake message.
    assertThat(offer(new QuicSniff(), Initial.v1(dcid(8), crypto(0, CURL)))).isEqualTo(Result.NONE);
    // A hello built like Sniff's tests, named.
    assertThat(offer(new QuicSniff(), Initial.v2(dcid(8), crypto(0, clientHello(sni("A.Test."))))))
        .isEqualTo(Result.name("a.test"));
  }

  @Test
  void framesAnInitialCannotCarryAndMalformedOnesAreNone() {
    byte[][] bad = {
      hex("1c00000000"), // CONNECTION_CLOSE
      hex("1d0000"), // CONNECTION_CLOSE of the application
      hex("0800016100"), // STREAM
      hex("07016100"), // NEW_TOKEN
      hex("4001"), // PING in two bytes
      hex("1e"), // HANDSHAKE_DONE
      hex("02"), // ACK cut short
      hex("0201000a00"), // ACK with one range promised, none present
      hex("0301000000"), // ACK_ECN without its counts
      hex("06"), // CRYPTO cut short
      hex("060005616263"), // CRYPTO longer than the packet
      hex("06c000000000000000"), // CRYPTO without a length
    };
    for (byte[] frame : bad) {
      byte[] payload = concat(new byte[] {1}, frame);
      assertThat(offer(new QuicSniff(), Initial.v1(dcid(8), payload)))
          .as(HexFormat.of().formatHex(frame))
          .isEqualTo(Result.NONE);
    }
    byte[] acks = concat(ack(1000, 3, true), ack(7, 0, false), hex("0300000000000000"));
    assertThat(offer(new QuicSniff(), Initial.v1(dcid(8), concat(acks, crypto(0, SMALL_HELLO)))))
        .isEqualTo(EXAMPLE);
    assertThat(offer(new QuicSniff(), Initial.build(V1, dcid(8), new byte[3]).pn(0, 1).bytes()))
        .as("padding only")
        .isEqualTo(Result.MORE);
    assertThat(offer(new QuicSniff(), Initial.build(V1, dcid(8), new byte[0]).pn(0, 4).bytes()))
        .as("no frames")
        .isEqualTo(Result.NONE);
    assertThat(
            offer(
                new QuicSniff(), Initial.build(V1, dcid(8), new byte[] {1}).reserved(0x04).bytes()))
        .as("a reserved bit")
        .isEqualTo(Result.NONE);
  }

  @Test
  void limitsAreNone() {
    // Eight datagrams without an answer are waited for, the ninth is not.
    byte[] dcid = dcid(8);
    QuicSniff sniff = new QuicSniff();
    for (int i = 0; i < QuicSniff.MAX_DATAGRAMS; i++) {
      assertThat(offer(sniff, Initial.v1(dcid, new byte[] {1}))).isEqualTo(Result.MORE);
    }
    assertThat(offer(sniff, Initial.v1(dcid, crypto(0, SMALL_HELLO)))).isEqualTo(Result.NONE);
    QuicSniff eighth = new QuicSniff();
    for (int i = 1; i < QuicSniff.MAX_DATAGRAMS; i++) {
      assertThat(offer(eighth, Initial.v1(dcid, new byte[] {1}))).isEqualTo(Result.MORE);
    }
    assertThat(offer(eighth, Initial.v1(dcid, crypto(0, SMALL_HELLO)))).isEqualTo(EXAMPLE);

    // CRYPTO data up to offset 16 KiB is kept, beyond it not.
    assertThat(offer(new QuicSniff(), Initial.v1(dcid, crypto(Sniff.MAX_BYTES - 1, new byte[1]))))
        .isEqualTo(Result.MORE);
    assertThat(offer(new QuicSniff(), Initial.v1(dcid, crypto(Sniff.MAX_BYTES, new byte[0]))))
        .isEqualTo(Result.MORE);
    assertThat(offer(new QuicSniff(), Initial.v1(dcid, crypto(Sniff.MAX_BYTES, new byte[1]))))
        .isEqualTo(Result.NONE);
    assertThat(offer(new QuicSniff(), Initial.v1(dcid, crypto((1L << 62) - 1, new byte[0]))))
        .isEqualTo(Result.NONE);
    // A hello that says it is longer than 16 KiB is known to be too long at once.
    byte[] huge = {1, 0, 0x40, 0, 3, 3};
    assertThat(offer(new QuicSniff(), Initial.v1(dcid, crypto(0, huge)))).isEqualTo(Result.NONE);
    // A hello of 16,380 bytes, filling the limit, in fourteen frames over eight datagrams.
    byte[] big = clientHello(sni("big.example.test"), ext(0x0015, new byte[Sniff.MAX_BYTES - 114]));
    assertThat(big.length).isEqualTo(Sniff.MAX_BYTES - 4);
    QuicSniff large = new QuicSniff();
    for (int d = 0; d < 8; d++) {
      int from = d * 2048;
      int to = Math.min(big.length, from + 2048);
      Result expected = d == 7 ? Result.name("big.example.test") : Result.MORE;
      assertThat(offer(large, Initial.v1(dcid, crypto(from, Arrays.copyOfRange(big, from, to)))))
          .as("datagram %d", d)
          .isEqualTo(expected);
    }
  }

  // ---- Fuzz

  private static final long SEED = 0x9_1c_0001L;

  @Test
  void mutatedDatagramsNeverThrowAndOnlyYieldValidNames() {
    SplittableRandom random = Fuzz.random(SEED);
    int cases = Fuzz.iterations(20_000);
    byte[] dcid = dcid(8);
    byte[] plain = concat(new byte[] {1}, ack(5, 2, true), crypto(0, SMALL_HELLO), new byte[30]);
    byte[] coalesced = concat(Initial.v2(dcid, plain), other(V2, 3, dcid, 40));
    int names = 0;
    for (int i = 0; i < cases; i++) {
      String where = Fuzz.where(SEED, i);
      QuicSniff sniff = new QuicSniff();
      Result result;
      switch (i % 5) {
        case 0 -> result = offer(sniff, Fuzz.mutate(CHROMIUM[random.nextInt(6)], random));
        case 1 -> {
          assertThat(offer(sniff, CHROMIUM[0])).isEqualTo(Result.MORE);
          result = offer(sniff, Fuzz.mutate(CHROMIUM[1 + random.nextInt(5)], random));
        }
        case 2 ->
            result = offer(sniff, Fuzz.mutate(random.nextBoolean() ? RFC9001 : RFC9369, random));
        case 3 -> result = offer(sniff, Fuzz.mutate(coalesced, random));
        default -> {
          // Mutated frames, properly protected: the frame and hello parsers see them.
          byte[] frames = Fuzz.mutate(plain, random);
          int version = random.nextBoolean() ? V1 : V2;
          result = offer(sniff, Initial.of(version, frames).dcid(dcid).bytes());
        }
      }
      if (result.status() == Status.NAME) {
        names++;
        assertThat(Sniff.hostName(result.name())).as(where).isEqualTo(result.name());
        assertThat(IpLiterals.parseHostOrNull(result.name())).as(where).isNull();
      }
      Result next = offer(sniff, CHROMIUM[1]);
      if (result.status() != Status.MORE) {
        assertThat(next).as("%s: answered, stays", where).isEqualTo(result);
      }
    }
    assertThat(names).as("mutations keep some names").isPositive();
  }

  // ---- Helpers

  static Result offer(QuicSniff sniff, byte[] datagram) {
    ByteBuf in = Unpooled.wrappedBuffer(datagram);
    Result result = sniff.offer(in);
    assertThat(in.readerIndex()).isZero();
    assertThat(in.writerIndex()).isEqualTo(datagram.length);
    return result;
  }

  static String helloName(byte[] hello) {
    return hello == SMALL_HELLO || hello == CHROMIUM_HELLO ? "www.example.test" : null;
  }

  /** A CRYPTO frame. */
  static byte[] crypto(long offset, byte[] data) {
    return concat(new byte[] {6}, varint(offset), varint(data.length), data);
  }

  /** An ACK frame (ACK_ECN with {@code ecn}) with {@code ranges} more ranges. */
  static byte[] ack(long largest, int ranges, boolean ecn) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(ecn ? 3 : 2);
    out.writeBytes(varint(largest));
    out.writeBytes(varint(25)); // ACK Delay
    out.writeBytes(varint(ranges));
    out.writeBytes(varint(0)); // First ACK Range
    for (int i = 0; i < ranges; i++) {
      out.writeBytes(varint(300)); // Gap, in two bytes
      out.writeBytes(varint(1));
    }
    for (int i = 0; ecn && i < 3; i++) {
      out.writeBytes(varint(70_000)); // in four bytes
    }
    return out.toByteArray();
  }

  /** Which stream offsets a frame covers, if it is a CRYPTO frame this test built. */
  static BitSet coverage(byte[] frame) {
    BitSet bits = new BitSet();
    if (frame[0] == 6) {
      int[] at = {1};
      long offset = readVarint(frame, at);
      long length = readVarint(frame, at);
      bits.set((int) offset, (int) (offset + length));
    }
    return bits;
  }

  static long readVarint(byte[] b, int[] at) {
    int n = 1 << ((b[at[0]] & 0xff) >>> 6);
    long value = b[at[0]] & 0x3f;
    for (int i = 1; i < n; i++) {
      value = value << 8 | (b[at[0] + i] & 0xff);
    }
    at[0] += n;
    return value;
  }

  /** A QUIC variable-length integer in its shortest form. */
  static byte[] varint(long value) {
    int n = value < 1 << 6 ? 1 : value < 1 << 14 ? 2 : value < 1L << 30 ? 4 : 8;
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[n - 1 - i] = (byte) (value >>> (8 * i));
    }
    b[0] |= (byte) ((Integer.numberOfTrailingZeros(n)) << 6);
    return b;
  }

  static byte[] dcid(int length) {
    byte[] id = new byte[length];
    SEEDS.nextBytes(id);
    return id;
  }

  private static final SplittableRandom SEEDS = new SplittableRandom(17);

  /**
   * A long-header packet of another type ({@code type} numbered as v1 numbers them: 1 0-RTT, 2
   * Handshake, 3 Retry), with random bytes for its protected payload.
   */
  static byte[] other(int version, int type, byte[] dcid, int length) {
    int bits = version == V2 ? (type + 1) & 3 : type;
    byte[] payload = new byte[length];
    SEEDS.nextBytes(payload);
    return concat(
        new byte[] {(byte) (0xc0 | bits << 4)},
        new byte[] {
          (byte) (version >>> 24), (byte) (version >>> 16), (byte) (version >>> 8), (byte) version
        },
        new byte[] {(byte) dcid.length},
        dcid,
        new byte[] {0},
        u16(0x4000 | length),
        payload);
  }

  static byte[] resource(String name) {
    try (InputStream in = QuicSniffTest.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] hexResource(String name) {
    return hex(new String(resource(name), StandardCharsets.US_ASCII).replaceAll("\\s", ""));
  }

  /**
   * A client Initial packet, protected as RFC 9001 §5 (and RFC 9369 §3.3 for v2) says: written from
   * the RFCs, independently of {@link QuicSniff}, and checked against their test vectors.
   */
  static final class Initial {
    private static final byte[] V1_SALT = hex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
    private static final byte[] V2_SALT = hex("0dede3def700a6db819381be6e269dcbf9bd2ed9");

    private final int version;
    private byte[] dcid;
    private byte[] token = new byte[0];
    private final byte[] payload;
    private long pn;
    private int pnLength = 2;
    private int reserved;
    private int typeBits = -1;

    private Initial(int version, byte[] dcid, byte[] payload) {
      this.version = version;
      this.dcid = dcid;
      this.payload = payload;
    }

    static Initial of(int version, byte[] payload) {
      return new Initial(version, QuicSniffTest.dcid(8), payload);
    }

    static Initial build(int version, byte[] dcid, byte[] payload) {
      return new Initial(version, dcid, payload);
    }

    static byte[] v1(byte[] dcid, byte[]... frames) {
      return new Initial(V1, dcid, SniffTest.concat(frames)).bytes();
    }

    static byte[] v2(byte[] dcid, byte[]... frames) {
      return new Initial(V2, dcid, SniffTest.concat(frames)).bytes();
    }

    Initial dcid(byte[] dcid) {
      this.dcid = dcid;
      return this;
    }

    Initial token(byte[] token) {
      this.token = token;
      return this;
    }

    Initial pn(long pn, int length) {
      this.pn = pn;
      this.pnLength = length;
      return this;
    }

    Initial reserved(int bits) {
      this.reserved = bits;
      return this;
    }

    Initial typeBits(int bits) {
      this.typeBits = bits;
      return this;
    }

    byte[] bytes() {
      try {
        return protect();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    private byte[] protect() throws GeneralSecurityException {
      boolean v2 = version == V2;
      // Enough bytes after the packet number for the header protection sample (RFC 9001 §5.4.2).
      byte[] payload = Arrays.copyOf(this.payload, Math.max(this.payload.length, 4 - pnLength));
      int type = typeBits >= 0 ? typeBits : v2 ? 1 : 0;
      int length = pnLength + payload.length + 16;
      byte[] header =
          concat(
              new byte[] {(byte) (0xc0 | type << 4 | reserved | (pnLength - 1))},
              new byte[] {
                (byte) (version >>> 24),
                (byte) (version >>> 16),
                (byte) (version >>> 8),
                (byte) version
              },
              new byte[] {(byte) dcid.length},
              dcid,
              new byte[] {0}, // no SCID
              varint(token.length),
              token,
              u16(0x4000 | length),
              Arrays.copyOfRange(u64(pn), 8 - pnLength, 8));
      byte[] secret = hmac(v2 ? V2_SALT : V1_SALT, dcid);
      byte[] client = expandLabel(secret, "client in", 32);
      String prefix = v2 ? "quicv2 " : "quic ";
      byte[] key = expandLabel(client, prefix + "key", 16);
      byte[] iv = expandLabel(client, prefix + "iv", 12);
      byte[] hp = expandLabel(client, prefix + "hp", 16);
      byte[] nonce = iv.clone();
      byte[] number = u64(pn);
      for (int i = 0; i < 8; i++) {
        nonce[4 + i] ^= number[i];
      }
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(
          Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
      gcm.updateAAD(header);
      byte[] sealed = gcm.doFinal(payload);
      Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
      ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(hp, "AES"));
      byte[] mask = ecb.doFinal(sealed, 4 - pnLength, 16);
      header[0] ^= (byte) (mask[0] & 0x0f);
      for (int i = 0; i < pnLength; i++) {
        header[header.length - pnLength + i] ^= mask[1 + i];
      }
      return concat(header, sealed);
    }

    private static byte[] hmac(byte[] key, byte[] data) throws GeneralSecurityException {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    }

    private static byte[] expandLabel(byte[] secret, String label, int length)
        throws GeneralSecurityException {
      byte[] full = ("tls13 " + label).getBytes(StandardCharsets.US_ASCII);
      byte[] info = concat(u16(length), new byte[] {(byte) full.length}, full, new byte[] {0, 1});
      return Arrays.copyOf(hmac(secret, info), length);
    }

    private static byte[] u64(long value) {
      byte[] b = new byte[8];
      for (int i = 0; i < 8; i++) {
        b[7 - i] = (byte) (value >>> (8 * i));
      }
      return b;
    }
  }
}
