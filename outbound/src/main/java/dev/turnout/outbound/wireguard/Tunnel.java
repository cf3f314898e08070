package dev.turnout.outbound.wireguard;

import dev.turnout.netbase.LogLimiter;
import dev.turnout.netbase.TimeSource;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WireGuard protocol engine for one peer, as initiator (paper section 6): IP packets in from
 * the device side, transport messages out to the peer and back. Starts a handshake when there is
 * something to send and no usable keys, retries it every {@link #REKEY_TIMEOUT} until {@link
 * #REKEY_ATTEMPT_TIME}, rekeys after {@link #REKEY_AFTER_TIME} or {@link #REKEY_AFTER_MESSAGES},
 * stops using keys after {@link #REJECT_AFTER_TIME}, sends passive and persistent keepalives, and
 * keeps the previous keys to open messages still in flight. Packets waiting for a handshake are
 * queued, at most {@link #MAX_QUEUED}.
 *
 * <p>No I/O of its own: what it produces goes to a {@link Wire}; time comes from the {@link
 * TimeSource}, and {@link #tick} must be called a few times a second. Malformed, unauthentic,
 * replayed and misaddressed messages are counted ({@link #stats}) and dropped, with a rate-limited
 * log line. Not thread-safe: confined to one event loop. Takes ownership of every buffer passed in.
 */
final class Tunnel {
  private static final Logger LOG = LoggerFactory.getLogger(Tunnel.class);

  static final long REKEY_AFTER_MESSAGES = 1L << 60;
  static final long REJECT_AFTER_MESSAGES = (1L << 60) + (1L << 59);
  static final long REKEY_AFTER_TIME = TimeUnit.SECONDS.toNanos(120);
  static final long REJECT_AFTER_TIME = TimeUnit.SECONDS.toNanos(180);
  static final long REKEY_ATTEMPT_TIME = TimeUnit.SECONDS.toNanos(90);
  static final long REKEY_TIMEOUT = TimeUnit.SECONDS.toNanos(5);
  static final long KEEPALIVE_TIMEOUT = TimeUnit.SECONDS.toNanos(10);
  static final int MAX_QUEUED = 256;

  /** Where the engine's output goes. Both take ownership of the buffer. */
  interface Wire {
    void toPeer(ByteBuf datagram);

    void toDevice(ByteBuf packet);
  }

  /** What the engine counted; read on its event loop (or racily for a log line). */
  static final class Stats {
    long sent;
    long received;
    long handshakes;
    long malformed;
    long unauthentic;
    long unknownIndex;
    long refusedSource;
    long refusedDestination;
    long queueDropped;
    long initiationsIgnored;
    long cookies;
  }

  private final String name;
  private final Peer peer;
  private final Handshake handshake;
  private final TimeSource clock;
  private final Random random;
  private final ByteBufAllocator alloc;
  private final Wire wire;
  private final Stats stats = new Stats();
  private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
  private final LogLimiter dropLog;

  private Keypair current;
  private Keypair previous;
  private boolean handshaking;
  private long attemptStartedNanos;
  private long nextRetryNanos;
  private long lastSentNanos;
  private long lastReceivedNanos;
  private long keepaliveOwedSince = -1;
  private long unansweredSince = -1;
  private boolean closed;

  Tunnel(
      String name, Peer peer, TimeSource clock, Random random, ByteBufAllocator alloc, Wire wire) {
    this.name = name;
    this.peer = peer;
    this.handshake = new Handshake(peer.keys(), peer.reserved());
    this.clock = clock;
    this.random = random;
    this.alloc = alloc;
    this.wire = wire;
    this.dropLog = new LogLimiter(1, 5, clock);
    long now = clock.nanoTime();
    this.lastSentNanos = now;
    this.lastReceivedNanos = now;
  }

  Stats stats() {
    return stats;
  }

  /** True once a handshake completed and its keys may still send. */
  boolean established() {
    return usable(clock.nanoTime()) != null;
  }

  /** An IP packet from the device, to be sealed and sent to the peer. */
  void outgoing(ByteBuf packet) {
    if (closed) {
      packet.release();
      return;
    }
    int length = packet.readableBytes();
    if (length < 20 || (packet.getByte(packet.readerIndex()) >> 4) != 4) {
      stats.refusedDestination++; // IPv6, or not IP: the device carries IPv4 only
      packet.release();
      return;
    }
    if (!peer.allows(packet.getInt(packet.readerIndex() + 16))) {
      stats.refusedDestination++;
      packet.release();
      return;
    }
    long now = clock.nanoTime();
    Keypair k = usable(now);
    if (k == null) {
      if (queue.size() >= MAX_QUEUED) {
        queue.poll().release();
        stats.queueDropped++;
      }
      queue.add(packet);
      startHandshake(now);
      return;
    }
    send(k, packet, now);
    if (k.sent() >= REKEY_AFTER_MESSAGES || now - k.createdNanos >= REKEY_AFTER_TIME) {
      startHandshake(now);
    }
  }

  /** A datagram from the peer's endpoint. */
  void incoming(ByteBuf datagram) {
    try {
      if (closed) {
        return;
      }
      long now = clock.nanoTime();
      switch (Messages.kind(datagram)) {
        case Messages.TRANSPORT -> transport(datagram, now);
        case Messages.RESPONSE -> response(datagram, now);
        case Messages.COOKIE_REPLY -> cookie(datagram, now);
        case Messages.INITIATION -> {
          stats.initiationsIgnored++;
          drop("a handshake initiation from the peer (only we initiate; ours will follow)");
        }
        default -> {
          stats.malformed++;
          drop("a malformed message of " + datagram.readableBytes() + " bytes");
        }
      }
    } finally {
      datagram.release();
    }
  }

  /** Timers: handshake retries, keepalives, key expiry. */
  void tick() {
    if (closed) {
      return;
    }
    long now = clock.nanoTime();
    if (handshaking) {
      if (now - attemptStartedNanos >= REKEY_ATTEMPT_TIME) {
        handshaking = false;
        handshake.abandon();
        stats.queueDropped += queue.size();
        releaseQueue();
        LOG.warn(
            "wireguard {}: no handshake response for {} s; giving up until there is more to send",
            name,
            TimeUnit.NANOSECONDS.toSeconds(REKEY_ATTEMPT_TIME));
      } else if (now - nextRetryNanos >= 0) {
        LOG.debug("wireguard {}: no handshake response; initiating again", name);
        sendInitiation(now);
      }
    }
    if (current != null && now - current.createdNanos >= 3 * REJECT_AFTER_TIME) {
      current = null;
      previous = null;
    }
    if (unansweredSince >= 0 && now - unansweredSince >= KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) {
      unansweredSince = -1;
      LOG.debug("wireguard {}: sent data but heard nothing; new handshake", name);
      startHandshake(now);
    }
    long keepalive = TimeUnit.SECONDS.toNanos(peer.keepaliveSeconds());
    boolean persistentDue =
        keepalive > 0 && now - Math.max(lastSentNanos, lastReceivedNanos) >= keepalive;
    boolean passiveDue = keepaliveOwedSince >= 0 && now - keepaliveOwedSince >= KEEPALIVE_TIMEOUT;
    if (persistentDue || passiveDue) {
      keepalive(now);
    }
  }

  /** Drops the queue and the keys; later calls do nothing. */
  void close() {
    closed = true;
    releaseQueue();
    current = null;
    previous = null;
    handshake.abandon();
  }

  private Keypair usable(long now) {
    Keypair k = current;
    return k != null && now - k.createdNanos < REJECT_AFTER_TIME && k.sent() < REJECT_AFTER_MESSAGES
        ? k
        : null;
  }

  private void startHandshake(long now) {
    if (handshaking) {
      return;
    }
    handshaking = true;
    attemptStartedNanos = now;
    sendInitiation(now);
  }

  private void sendInitiation(long now) {
    byte[] ephemeral = new byte[Noise.KEY];
    random.nextBytes(ephemeral);
    Instant wall = clock.instant();
    byte[] message =
        handshake.initiation(
            random.nextInt(),
            ephemeral,
            Handshake.timestamp(wall.getEpochSecond(), wall.getNano()),
            now);
    wire.toPeer(Unpooled.wrappedBuffer(message));
    lastSentNanos = now;
    nextRetryNanos = now + REKEY_TIMEOUT + TimeUnit.MILLISECONDS.toNanos(random.nextInt(334));
  }

  private void response(ByteBuf datagram, long now) {
    byte[] bytes = new byte[Messages.RESPONSE_SIZE];
    datagram.getBytes(datagram.readerIndex(), bytes);
    int localIndex = handshake.localIndex();
    Handshake.Keys keys = handshake.response(bytes, 0);
    if (keys == null) {
      stats.unauthentic++;
      drop("a handshake response that does not answer our initiation");
      return;
    }
    previous = current;
    current = new Keypair(keys, localIndex, now);
    handshaking = false;
    stats.handshakes++;
    heard(now);
    if (stats.handshakes == 1) {
      LOG.info("wireguard {}: handshake with the peer completed", name);
    } else {
      LOG.debug("wireguard {}: handshake completed, new keys", name);
    }
    if (queue.isEmpty()) {
      keepalive(now); // confirms the keys to the responder, which may not send before
    }
    while (!queue.isEmpty()) {
      send(current, queue.poll(), now);
    }
  }

  private void cookie(ByteBuf datagram, long now) {
    byte[] bytes = new byte[Messages.COOKIE_REPLY_SIZE];
    datagram.getBytes(datagram.readerIndex(), bytes);
    if (handshake.cookieReply(bytes, 0, now)) {
      stats.cookies++;
      if (dropLog.allow()) {
        LOG.info(
            "wireguard {}: the peer is under load and sent a cookie; the next initiation carries"
                + " it",
            name);
      }
    } else {
      stats.unauthentic++;
      drop("a cookie reply that does not answer our initiation");
    }
  }

  private void transport(ByteBuf message, long now) {
    int receiver = Messages.receiver(message);
    Keypair k =
        current != null && current.localIndex == receiver
            ? current
            : previous != null && previous.localIndex == receiver ? previous : null;
    if (k == null || now - k.createdNanos >= REJECT_AFTER_TIME) {
      stats.unknownIndex++;
      drop("a transport message for keys we do not have (any more)");
      return;
    }
    int plainLength = message.readableBytes() - Messages.TRANSPORT_MIN;
    ByteBuf plain = alloc.directBuffer(Math.max(plainLength, 1));
    if (!k.open(message, plain)) {
      plain.release();
      stats.unauthentic++;
      drop("a replayed or unauthentic transport message");
      return;
    }
    heard(now);
    if (k == current
        && !handshaking
        && now - k.createdNanos >= REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT) {
      startHandshake(now);
    }
    if (!plain.isReadable()) {
      plain.release(); // a keepalive
      return;
    }
    if (!checkSource(plain)) {
      plain.release();
      return;
    }
    stats.received++;
    if (keepaliveOwedSince < 0) {
      keepaliveOwedSince = now;
    }
    wire.toDevice(plain);
  }

  /** Trims the padding; false (counted) for a packet that is not IPv4 from an allowed source. */
  private boolean checkSource(ByteBuf plain) {
    int start = plain.readerIndex();
    if (plain.readableBytes() < 20 || (plain.getByte(start) >> 4) != 4) {
      stats.refusedSource++;
      drop("a decrypted packet that is not IPv4");
      return false;
    }
    int total = plain.getUnsignedShort(start + 2);
    if (total < 20 || total > plain.readableBytes()) {
      stats.malformed++;
      drop("a decrypted packet with a bad length");
      return false;
    }
    if (!peer.allows(plain.getInt(start + 12))) {
      stats.refusedSource++;
      drop("a decrypted packet from a source outside allowed-ips");
      return false;
    }
    plain.writerIndex(start + total);
    return true;
  }

  private void heard(long now) {
    lastReceivedNanos = now;
    unansweredSince = -1;
  }

  private void keepalive(long now) {
    Keypair k = usable(now);
    if (k == null) {
      startHandshake(now);
      return;
    }
    send(k, Unpooled.EMPTY_BUFFER, now);
  }

  private void send(Keypair k, ByteBuf packet, long now) {
    int length = packet.readableBytes();
    int padded = Math.min((length + 15) & ~15, Math.max(peer.mtu(), length));
    if (padded > length && packet.maxWritableBytes() < padded - length) {
      // The device's buffers have room for the padding; a copy only for anything else.
      ByteBuf roomy = alloc.directBuffer(padded).writeBytes(packet);
      packet.release();
      packet = roomy;
    }
    ByteBuf out = alloc.directBuffer(Messages.TRANSPORT_MIN + padded);
    try {
      if (padded > length) {
        packet.ensureWritable(padded - length);
        packet.writeZero(padded - length);
      }
      k.seal(packet, padded, out, peer.reserved());
    } catch (RuntimeException e) {
      out.release();
      throw e;
    } finally {
      packet.release();
    }
    if (length > 0) {
      stats.sent++;
      if (unansweredSince < 0) {
        unansweredSince = now; // data wants an answer within KEEPALIVE + REKEY_TIMEOUT
      }
    }
    lastSentNanos = now;
    keepaliveOwedSince = -1;
    wire.toPeer(out);
  }

  private void releaseQueue() {
    ByteBuf b;
    while ((b = queue.poll()) != null) {
      b.release();
    }
  }

  private void drop(String what) {
    if (dropLog.allow()) {
      long suppressed = dropLog.takeSuppressed();
      LOG.info(
          "wireguard {}: dropped {}{}",
          name,
          what,
          suppressed > 0 ? " (and " + suppressed + " more drops)" : "");
    }
  }
}
