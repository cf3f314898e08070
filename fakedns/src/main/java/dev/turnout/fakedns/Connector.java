package dev.turnout.fakedns;

import io.netty.channel.Channel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Opens connected TCP channels to upstream servers: straight out on a marked socket ({@link
 * MarkedChannels}), or through an outbound ({@link UpstreamDialer}) for a server with a {@code
 * via}. Either way the channel comes back with auto-read off and no handler of ours; the caller
 * adds its own and turns auto-read on. Thread-safe.
 */
final class Connector {
  private final MarkedChannels channels;
  private final UpstreamDialer dialer;

  Connector(MarkedChannels channels, UpstreamDialer dialer) {
    this.channels = channels;
    this.dialer = dialer;
  }

  CompletableFuture<Channel> connect(
      Nameserver server, InetSocketAddress address, Duration timeout) {
    if (server.via() == null) {
      return channels.connect(address, timeout);
    }
    CompletableFuture<Channel> result = new CompletableFuture<>();
    CompletableFuture<Channel> dialed;
    try {
      dialed = dialer.connect(server.via(), server.host(), address);
    } catch (RuntimeException e) {
      dialed = CompletableFuture.failedFuture(e);
    }
    dialed.whenComplete(
        (ch, error) -> {
          if (error != null) {
            result.completeExceptionally(
                new IOException(
                    "cannot reach " + server + " through " + server.via() + ": " + error, error));
          } else if (!result.complete(ch)) {
            ch.close(); // too late: the query gave up
          }
        });
    return result.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
