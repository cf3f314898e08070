package dev.turnout.fakedns;

import io.netty.channel.Channel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * Carries connections to upstream DNS servers through an outbound instead of straight out: for a
 * server written with {@code #PROXY} (mihomo's form) and, with {@code respect-rules}, for every
 * server of {@code nameserver}, {@code fallback} and {@code nameserver-policy}, through the
 * outbound the rules pick for the server. The launcher implements it with the rules and the
 * outbounds, so that this module depends on neither.
 *
 * <p>Only TCP is carried this way: a plain UDP server reached through an outbound is asked over TCP
 * (RFC 7766 requires servers to answer both), DNS over TLS and HTTPS run on top of the returned
 * connection. Implementations are thread-safe and never block the caller.
 */
@FunctionalInterface
public interface UpstreamDialer {
  /** {@code via} for a server whose connections follow the rules ({@code respect-rules}). */
  String RULES = "RULES";

  /** Refuses every connection: for configurations with no server behind an outbound. */
  UpstreamDialer NONE =
      (via, host, address) ->
          CompletableFuture.failedFuture(
              new IOException("no outbound can carry DNS connections (through " + via + ")"));

  /**
   * Opens a TCP connection to {@code address} through the outbound named {@code via} (a proxy or a
   * group), or through the one the rules pick for {@code host}:{@code port} when {@code via} is
   * {@link #RULES}.
   *
   * @param host the server as configured: its name, or its address literal
   * @param address the server's address (a name already resolved through {@code
   *     default-nameserver})
   * @return completes with a connected channel, its proxy handshake done, whose pipeline holds only
   *     the outbound's own handlers and auto-read is off; the caller adds its handlers at the tail,
   *     turns auto-read on and owns (closes) the channel. Fails when the outbound refuses (REJECT)
   *     or cannot connect.
   */
  CompletableFuture<Channel> connect(String via, String host, InetSocketAddress address);
}
