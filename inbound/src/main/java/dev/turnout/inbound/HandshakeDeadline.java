package dev.turnout.inbound;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a client connection whose proxy handshake (greeting, credentials, request) has not
 * finished in time, so that idle or slow clients cannot hold sockets. Protocol handlers call {@link
 * #met} once they hand the connection on. Call on the channel's event loop.
 */
public final class HandshakeDeadline {
  /** How long a client has from connecting to its request. */
  public static final Duration DEFAULT = Duration.ofSeconds(30);

  private static final AttributeKey<ScheduledFuture<?>> KEY =
      AttributeKey.valueOf("turnout.inbound.handshakeDeadline");

  private HandshakeDeadline() {}

  /** Starts the clock of a new connection. */
  public static void start(Channel client, Duration timeout, InboundStats stats, String listener) {
    ScheduledFuture<?> deadline =
        client
            .eventLoop()
            .schedule(
                () -> {
                  if (client.isActive()) {
                    stats.bad(
                        InboundStats.Event.HANDSHAKE_TIMEOUT,
                        "{}: {} did not finish its handshake within {} s",
                        listener,
                        client.remoteAddress(),
                        timeout.toSeconds());
                    client.close();
                  }
                },
                timeout.toMillis(),
                TimeUnit.MILLISECONDS);
    client.attr(KEY).set(deadline);
    client.closeFuture().addListener(f -> deadline.cancel(false));
  }

  /** The handshake is over: the connection may stay as long as its relay keeps it. */
  public static void met(Channel client) {
    ScheduledFuture<?> deadline = client.attr(KEY).getAndSet(null);
    if (deadline != null) {
      deadline.cancel(false);
    }
  }
}
