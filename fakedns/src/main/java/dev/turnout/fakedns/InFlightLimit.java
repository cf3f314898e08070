package dev.turnout.fakedns;

import dev.turnout.netbase.LogLimiter;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Message;

/**
 * Bounds the queries a {@link DnsTransport} has in flight to upstream servers, per server and in
 * total: each one holds a socket (a UDP query has one of its own) until it is answered or times
 * out, so a client that sends thousands of queries for names no cache holds would otherwise hold
 * thousands of sockets. A query past either bound fails at once with an {@link IOException}, which
 * the upstream group treats as that server failing (the client gets SERVFAIL); refusals are
 * counted, and logged at a limited rate. Every query admitted is given up after the transport's
 * timeout, so a server that never answers cannot hold a slot. Thread-safe, lock-free.
 */
final class InFlightLimit {
  private static final Logger log = LoggerFactory.getLogger(InFlightLimit.class);
  static final int PER_SERVER = 256;
  static final int TOTAL = 1024;

  private final int perServer;
  private final int total;
  private final Duration timeout;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final LogLimiter refusedLog = new LogLimiter(0.2, 1);
  final LongAdder refused = new LongAdder();

  InFlightLimit(int perServer, int total, Duration timeout) {
    if (perServer < 1 || total < 1) {
      throw new IllegalArgumentException("in-flight bounds must be positive");
    }
    this.perServer = perServer;
    this.total = total;
    this.timeout = timeout;
  }

  /** Queries in flight right now, over every server. */
  int inFlight() {
    return inFlight.get();
  }

  /** {@code client} with its queries counted against this limit and a bound of its own. */
  Bounded bound(ServerClient client, Nameserver server) {
    return new Bounded(client, server);
  }

  /** A server's client whose queries count against the limit. */
  final class Bounded implements ServerClient {
    final ServerClient inner;
    private final Nameserver server;
    private final AtomicInteger own = new AtomicInteger();

    private Bounded(ServerClient inner, Nameserver server) {
      this.inner = inner;
      this.server = server;
    }

    @Override
    public CompletableFuture<Message> send(Message query) {
      if (own.incrementAndGet() > perServer) {
        own.decrementAndGet();
        return refuse(perServer + " queries in flight to " + server);
      }
      if (inFlight.incrementAndGet() > total) {
        inFlight.decrementAndGet();
        own.decrementAndGet();
        return refuse(total + " queries in flight to upstream servers");
      }
      CompletableFuture<Message> sent;
      try {
        sent = inner.send(query);
      } catch (RuntimeException e) {
        sent = CompletableFuture.failedFuture(e);
      }
      return sent.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .whenComplete(
              (answer, error) -> {
                own.decrementAndGet();
                inFlight.decrementAndGet();
              });
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  private CompletableFuture<Message> refuse(String why) {
    refused.increment();
    if (refusedLog.allow()) {
      log.warn(
          "dns: {}; refusing more until some are answered ({} refused in all)", why, refused.sum());
    }
    return CompletableFuture.failedFuture(new IOException(why));
  }
}
