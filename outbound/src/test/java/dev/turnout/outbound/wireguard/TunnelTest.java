package dev.turnout.outbound.wireguard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.ManualTimeSource;
import dev.turnout.outbound.crypto.HChaCha20;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The engine against {@link TestResponder}, time moved by hand: handshake, data both ways,
 * keepalives, retries, rekeying, and every kind of bad message counted and dropped.
 */
class TunnelTest {
  static final int OWN = 0xcb0071ca; // 203.0.113.202
  static final int SERVER = 0xcb0071c9; // 203.0.113.201
  static final int ELSEWHERE = 0xc6336401; // 198.51.100.1

  private final ManualTimeSource clock = new ManualTimeSource();
  private final Random random = new Random(18);
  private final List<ByteBuf> toPeer = new ArrayList<>();
  private final List<ByteBuf> toDevice = new ArrayList<>();
  private TestResponder peer;
  private Tunnel tunnel;

  @BeforeEach
  void setUp() {
    tunnel = tunnel(0, new byte[] {1, 2, 3});
  }

  private Tunnel tunnel(int keepalive, byte[] reserved) {
    byte[] own = new byte[32];
    byte[] theirs = new byte[32];
    random.nextBytes(own);
    random.nextBytes(theirs);
    byte[] psk = new byte[32];
    random.nextBytes(psk);
    peer = new TestResponder(theirs, psk, new Random(7));
    Peer settings =
        new Peer(
            new StaticKeys(own, peer.publicKey, psk),
            reserved,
            List.of(Cidr.parseMasking("203.0.113.0/24")),
            1420,
            keepalive);
    return new Tunnel(
        "test",
        settings,
        clock,
        random,
        UnpooledByteBufAllocator.DEFAULT,
        new Tunnel.Wire() {
          @Override
          public void toPeer(ByteBuf datagram) {
            toPeer.add(datagram);
          }

          @Override
          public void toDevice(ByteBuf packet) {
            toDevice.add(packet);
          }
        });
  }

  @AfterEach
  void release() {
    toPeer.forEach(ByteBuf::release);
    toDevice.forEach(ByteBuf::release);
    tunnel.close();
  }

  /** An IPv4 packet of {@code payload}, header checksum not filled in (nothing checks it). */
  static byte[] packet(int source, int destination, String payload) {
    byte[] p = payload.getBytes(StandardCharsets.US_ASCII);
    ByteBuf b = Unpooled.buffer();
    b.writeByte(0x45).writeByte(0).writeShort(20 + p.length).writeInt(0);
    b.writeByte(64).writeByte(17).writeShort(0).writeInt(source).writeInt(destination);
    b.writeBytes(p);
    byte[] out = new byte[b.readableBytes()];
    b.readBytes(out);
    return out;
  }

  private ByteBuf last() {
    return toPeer.get(toPeer.size() - 1);
  }

  /** Sends one packet, answers the initiation, returns the packet as the responder opened it. */
  private byte[] establish() {
    tunnel.outgoing(Unpooled.wrappedBuffer(packet(OWN, SERVER, "first")));
    assertThat(toPeer).hasSize(1);
    tunnel.incoming(peer.respond(toPeer.get(0)));
    assertThat(toPeer).hasSize(2);
    return peer.open(toPeer.get(1));
  }

  @Test
  void handshakeThenPacketsBothWays() {
    byte[] first = establish();
    ByteBuf initiation = toPeer.get(0);
    assertThat(initiation.readableBytes()).isEqualTo(148);
    assertThat(initiation.getByte(0)).isEqualTo((byte) 1);
    assertThat(new byte[] {initiation.getByte(1), initiation.getByte(2), initiation.getByte(3)})
        .as("reserved")
        .containsExactly(1, 2, 3);
    byte[] sent = packet(OWN, SERVER, "first");
    assertThat(first.length).as("padded to 16").isEqualTo(32);
    assertThat(Arrays.copyOf(first, sent.length)).isEqualTo(sent);
    assertThat(toPeer.get(1).getByte(1)).isEqualTo((byte) 1);
    assertThat(tunnel.established()).isTrue();

    byte[] reply = packet(SERVER, OWN, "a reply of some length");
    tunnel.incoming(peer.seal(reply));
    assertThat(toDevice).hasSize(1);
    byte[] delivered = new byte[toDevice.get(0).readableBytes()];
    toDevice.get(0).getBytes(toDevice.get(0).readerIndex(), delivered);
    assertThat(delivered).isEqualTo(reply);
    assertThat(tunnel.stats().handshakes).isEqualTo(1);
    assertThat(tunnel.stats().received).isEqualTo(1);
  }

  @Test
  void timestampIsTai64nOfTheWallClock() {
    establish();
    long seconds = 0;
    for (int i = 0; i < 8; i++) {
      seconds = seconds << 8 | (peer.lastTimestamp[i] & 0xff);
    }
    assertThat(seconds - 0x400000000000000aL).isEqualTo(clock.instant().getEpochSecond());
  }

  @Test
  void confirmsNewKeysWithAKeepaliveWhenNothingWaits() {
    tunnel = tunnel(25, new byte[3]);
    clock.advance(Duration.ofSeconds(25));
    tunnel.tick();
    assertThat(toPeer).as("persistent keepalive needs keys first").hasSize(1);
    tunnel.incoming(peer.respond(toPeer.get(0)));
    assertThat(toPeer).hasSize(2);
    assertThat(last().readableBytes()).isEqualTo(32);
    assertThat(peer.open(last())).isEmpty();
    clock.advance(Duration.ofSeconds(24));
    tunnel.tick();
    assertThat(toPeer).hasSize(2);
    clock.advance(Duration.ofSeconds(1));
    tunnel.tick();
    assertThat(toPeer).hasSize(3);
    assertThat(peer.open(last())).isEmpty();
  }

  @Test
  void answersReceivedDataWithAPassiveKeepalive() {
    establish();
    tunnel.incoming(peer.seal(packet(SERVER, OWN, "data")));
    clock.advance(Duration.ofSeconds(9));
    tunnel.tick();
    assertThat(toPeer).hasSize(2);
    clock.advance(Duration.ofSeconds(1));
    tunnel.tick();
    assertThat(toPeer).hasSize(3);
    assertThat(peer.open(last())).isEmpty();
  }

  @Test
  void retriesTheHandshakeThenGivesUp() {
    tunnel.outgoing(Unpooled.wrappedBuffer(packet(OWN, SERVER, "waits")));
    assertThat(toPeer).hasSize(1);
    clock.advance(Duration.ofSeconds(4));
    tunnel.tick();
    assertThat(toPeer).hasSize(1);
    clock.advance(Duration.ofMillis(1400));
    tunnel.tick();
    assertThat(toPeer).hasSize(2);
    assertThat(toPeer.get(1).getByte(0)).isEqualTo((byte) 1);
    assertThat(Arrays.equals(bytes(toPeer.get(0)), bytes(toPeer.get(1))))
        .as("a new ephemeral key each time")
        .isFalse();
    for (int i = 0; i < 400; i++) {
      clock.advance(Duration.ofMillis(250));
      tunnel.tick();
    }
    int sent = toPeer.size();
    assertThat(sent).isBetween(16, 19);
    assertThat(tunnel.stats().queueDropped).isEqualTo(1);
    clock.advance(Duration.ofSeconds(30));
    tunnel.tick();
    assertThat(toPeer).as("quiet until there is something to send").hasSize(sent);
  }

  @Test
  void rekeysAfterTwoMinutesAndStillOpensTheOldKeys() {
    establish();
    ByteBuf oldReply = peer.seal(packet(SERVER, OWN, "late"));
    clock.advance(Duration.ofSeconds(121));
    tunnel.outgoing(Unpooled.wrappedBuffer(packet(OWN, SERVER, "still sent")));
    assertThat(toPeer).hasSize(4);
    assertThat(peer.open(toPeer.get(2))).startsWith(packet(OWN, SERVER, "still sent"));
    assertThat(toPeer.get(3).getByte(0)).as("a new initiation").isEqualTo((byte) 1);
    tunnel.incoming(peer.respond(toPeer.get(3)));
    assertThat(tunnel.stats().handshakes).isEqualTo(2);
    tunnel.incoming(oldReply);
    assertThat(toDevice).as("the previous keys still open messages in flight").hasSize(1);
  }

  @Test
  void stopsUsingKeysAfterThreeMinutes() {
    establish();
    clock.advance(Duration.ofSeconds(181));
    tunnel.outgoing(Unpooled.wrappedBuffer(packet(OWN, SERVER, "queued")));
    assertThat(toPeer).hasSize(3);
    assertThat(last().getByte(0)).isEqualTo((byte) 1);
    tunnel.incoming(peer.respond(last()));
    assertThat(peer.open(last())).startsWith(packet(OWN, SERVER, "queued"));
  }

  @Test
  void newHandshakeWhenDataGetsNoAnswer() {
    establish();
    tunnel.outgoing(Unpooled.wrappedBuffer(packet(OWN, SERVER, "hello?")));
    clock.advance(Duration.ofSeconds(15));
    tunnel.tick();
    assertThat(last().getByte(0)).isEqualTo((byte) 1);
  }

  @Test
  void dropsReplaysTamperingAndStrangers() {
    establish();
    ByteBuf reply = peer.seal(packet(SERVER, OWN, "once"));
    ByteBuf copy = reply.copy();
    ByteBuf tampered = peer.seal(packet(SERVER, OWN, "twice"));
    tampered.setByte(tampered.writerIndex() - 1, tampered.getByte(tampered.writerIndex() - 1) ^ 1);
    tunnel.incoming(reply);
    tunnel.incoming(copy);
    tunnel.incoming(tampered);
    tunnel.incoming(peer.seal(packet(ELSEWHERE, OWN, "not allowed")));
    assertThat(toDevice).hasSize(1);
    assertThat(tunnel.stats().unauthentic).isEqualTo(2);
    assertThat(tunnel.stats().refusedSource).isEqualTo(1);
    tunnel.outgoing(Unpooled.wrappedBuffer(packet(OWN, ELSEWHERE, "not allowed")));
    assertThat(tunnel.stats().refusedDestination).isEqualTo(1);
    assertThat(toPeer).hasSize(2);
  }

  @Test
  void initiationsFromThePeerAreCountedAndIgnored() {
    tunnel.incoming(Unpooled.wrappedBuffer(Arrays.copyOf(new byte[] {1}, 148)));
    assertThat(tunnel.stats().initiationsIgnored).isEqualTo(1);
    assertThat(toPeer).isEmpty();
  }

  /** Garbage, truncations and bit flips of real messages: counted, dropped, and no harm done. */
  @Test
  void fuzzedMessagesAreDroppedAndTheTunnelStillWorks() {
    tunnel.outgoing(Unpooled.wrappedBuffer(packet(OWN, SERVER, "first")));
    ByteBuf response = peer.respond(toPeer.get(0));
    tunnel.incoming(response.copy());
    ByteBuf transport = peer.seal(packet(SERVER, OWN, "valid"));
    Random fuzz = new Random(2026);
    for (int i = 0; i < 3000; i++) {
      ByteBuf sample = fuzz.nextBoolean() ? response : transport;
      byte[] b = bytes(sample);
      switch (fuzz.nextInt(4)) {
        case 0 -> b = Arrays.copyOf(b, fuzz.nextInt(b.length));
        case 1 -> {
          int at = fuzz.nextInt(b.length);
          at = at >= 1 && at <= 3 ? 0 : at; // the reserved bytes are ignored, by design
          b[at] ^= (byte) (1 << fuzz.nextInt(8));
        }
        case 2 -> {
          b = new byte[fuzz.nextInt(200)];
          fuzz.nextBytes(b);
        }
        default -> {
          b[0] = (byte) fuzz.nextInt(8);
          b = Arrays.copyOf(b, b.length + 1 + fuzz.nextInt(3));
        }
      }
      tunnel.incoming(Unpooled.wrappedBuffer(b));
    }
    Tunnel.Stats s = tunnel.stats();
    assertThat(toDevice).isEmpty();
    assertThat(s.malformed + s.unauthentic + s.unknownIndex + s.initiationsIgnored + s.cookies)
        .isGreaterThanOrEqualTo(2990);
    assertThat(s.handshakes).isEqualTo(1);
    tunnel.incoming(transport);
    assertThat(toDevice).hasSize(1);
  }

  @Test
  void cookieReplyGivesTheNextInitiationAMac2() {
    tunnel.outgoing(Unpooled.wrappedBuffer(packet(OWN, SERVER, "under load")));
    byte[] initiation = bytes(toPeer.get(0));
    assertThat(Arrays.copyOfRange(initiation, 132, 148)).containsOnly(0);
    byte[] cookie = new byte[16];
    random.nextBytes(cookie);
    byte[] nonce = new byte[24];
    random.nextBytes(nonce);
    byte[] key = Noise.hash("cookie--".getBytes(StandardCharsets.US_ASCII), peer.publicKey);
    long counter = 0;
    for (int i = 7; i >= 0; i--) {
      counter = counter << 8 | (nonce[16 + i] & 0xff);
    }
    byte[] sealed =
        Noise.seal(
            HChaCha20.subkey(key, Arrays.copyOf(nonce, 16)),
            counter,
            cookie,
            Arrays.copyOfRange(initiation, 116, 132));
    byte[] reply = new byte[64];
    reply[0] = 3;
    System.arraycopy(initiation, 4, reply, 4, 4);
    System.arraycopy(nonce, 0, reply, 8, 24);
    System.arraycopy(sealed, 0, reply, 32, 32);
    tunnel.incoming(Unpooled.wrappedBuffer(reply));
    assertThat(tunnel.stats().cookies).isEqualTo(1);
    clock.advance(Duration.ofSeconds(6));
    tunnel.tick();
    byte[] retry = bytes(last());
    assertThat(Arrays.copyOfRange(retry, 132, 148)).isEqualTo(Noise.mac(cookie, retry, 132));
  }

  static byte[] bytes(ByteBuf b) {
    byte[] out = new byte[b.readableBytes()];
    b.getBytes(b.readerIndex(), out);
    return out;
  }
}
