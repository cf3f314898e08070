package dev.turnout.outbound.group;

import dev.turnout.outbound.Outbound;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * Measures a member: an HTTP GET of {@code url} through the member, bounded by {@code timeout}.
 * Implementations are thread-safe; results may complete on any thread.
 */
public interface Prober {
  /** Completes with the round-trip delay, or exceptionally when the member is unusable. */
  CompletionStage<Duration> probe(Outbound member, URI url, Duration timeout);

  /** As above, and the answer's status must be one {@code expected}. */
  default CompletionStage<Duration> probe(
      Outbound member, URI url, Duration timeout, ExpectedStatus expected) {
    return probe(member, url, timeout);
  }
}
