package dev.turnout.outbound;

import dev.turnout.netbase.LogLimiter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP side of {@link DnsOutbound}: a DIRECT session to the one DNS server (whose own checks
 * accept replies only from it), with every datagram sent there whatever its destination, and each
 * answer handed back as coming from where its query went. Queries and answers are matched by the
 * DNS message ID, which the server keeps; a session remembers the last {@value #MAX_PENDING} IDs
 * (an application sends a few queries per name, and a retry reuses its ID). A datagram too short to
 * be a DNS message is dropped and logged (rate-limited); an answer to no query pending (the second
 * one to a retried query) is dropped, logged at debug level.
 *
 * <p>Confined to its event loop, except {@link #send}, which hops onto it.
 */
final class DnsDatagramSession implements DatagramSession {
  private static final Logger LOG = LoggerFactory.getLogger(DnsDatagramSession.class);
  private static final LogLimiter SHORT_LOG = new LogLimiter(1, 5);

  /** Queries whose answer is still awaited, per session; the oldest is forgotten first. */
  static final int MAX_PENDING = 256;

  /** A DNS message's header: anything shorter is not a query. */
  private static final int HEADER = 12;

  private final EventLoop loop;
  private final Destination server;
  private final Map<Integer, Destination> pending =
      new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, Destination> eldest) {
          return size() > MAX_PENDING;
        }
      };
  private DatagramSession direct;

  private DnsDatagramSession(EventLoop loop, InetSocketAddress server) {
    this.loop = loop;
    this.server = new Destination(null, server.getAddress(), server.getPort());
  }

  /** {@code dialer} must allow {@code server} ({@link Dialer#toThisHost()}). */
  static Future<DatagramSession> open(
      Dialer dialer, InetSocketAddress server, EventLoop loop, Receiver receiver) {
    DnsDatagramSession session = new DnsDatagramSession(loop, server);
    Promise<DatagramSession> promise = loop.newPromise();
    DirectDatagramSession.open(dialer, loop, session.answers(receiver))
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                promise.tryFailure(f.cause());
                return;
              }
              session.direct = (DatagramSession) f.getNow();
              if (!promise.trySuccess(session)) {
                session.close();
              }
            });
    return promise;
  }

  private Receiver answers(Receiver receiver) {
    return (source, answer) -> {
      Destination asked =
          answer.readableBytes() >= HEADER
              ? pending.remove(answer.getUnsignedShort(answer.readerIndex()))
              : null;
      if (asked == null) {
        LOG.debug("dns outbound: an answer from {} to no query pending, dropped", source);
        answer.release();
        return;
      }
      receiver.received(asked, answer);
    };
  }

  @Override
  public void send(Destination destination, ByteBuf payload) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> send(destination, payload));
      return;
    }
    if (payload.readableBytes() < HEADER) {
      if (SHORT_LOG.allow()) {
        LOG.warn(
            "dns outbound {}: a datagram of {} bytes is no DNS query, dropped ({} more not logged)",
            destination,
            payload.readableBytes(),
            SHORT_LOG.takeSuppressed());
      }
      payload.release();
      return;
    }
    pending.put(payload.getUnsignedShort(payload.readerIndex()), destination);
    direct.send(server, payload);
  }

  @Override
  public void close() {
    direct.close();
  }

  @Override
  public Future<?> closeFuture() {
    return direct.closeFuture();
  }
}
