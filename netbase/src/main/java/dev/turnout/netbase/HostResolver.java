package dev.turnout.netbase;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Turns a host name into real addresses for Turnout's own use: dialing DIRECT and proxy servers,
 * and rules that need an IP. The contract every implementation keeps:
 *
 * <ul>
 *   <li>never the system resolver ({@link InetAddress#getByName} and friends): it points back at
 *       Turnout, so it would answer with fake IPs or loop;
 *   <li>never an address inside Turnout's own TUN range;
 *   <li>never blocks the caller: the answer comes through the returned stage, best address first,
 *       an empty list when the name has none, exceptionally when the lookup failed;
 *   <li>thread-safe: called from event loops and rule threads at once.
 * </ul>
 *
 * {@code host} is lower case without a trailing dot when it comes from the rules engine.
 */
@FunctionalInterface
public interface HostResolver {
  /** Resolves nothing: every name has no address. */
  HostResolver NONE = host -> CompletableFuture.completedFuture(List.of());

  CompletionStage<List<InetAddress>> resolve(String host);

  /**
   * Waits for {@link #resolve} for at most {@code timeout}: for callers on a thread that may block
   * (never an event loop).
   *
   * @throws IOException when the lookup fails, times out or the thread is interrupted (with the
   *     interrupt status kept)
   */
  default List<InetAddress> resolveBlocking(String host, Duration timeout) throws IOException {
    try {
      List<InetAddress> answer =
          resolve(host).toCompletableFuture().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return answer == null ? List.of() : answer;
    } catch (ExecutionException e) {
      throw new IOException("cannot resolve " + host + ": " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("cannot resolve " + host + ": no answer within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted resolving " + host, e);
    }
  }
}
