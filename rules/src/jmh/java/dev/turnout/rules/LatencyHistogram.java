package dev.turnout.rules;

import java.util.Arrays;

/**
 * Counts of nanosecond durations, one bucket per nanosecond up to {@value #LIMIT} ns and one for
 * everything longer, so that recording is one increment and percentiles are exact below the limit.
 * Only the buckets a benchmark's durations fall in are touched, tens of kilobytes, so recording
 * disturbs the caches of the code being timed little.
 */
final class LatencyHistogram {
  static final int LIMIT = 65_535;

  private final long[] counts = new long[LIMIT + 2];
  private long total;

  void record(long nanos) {
    counts[(int) Math.min(Math.max(nanos, 0), LIMIT + 1)]++;
    total++;
  }

  void clear() {
    if (total > 0) {
      Arrays.fill(counts, 0);
      total = 0;
    }
  }

  long total() {
    return total;
  }

  /** The smallest duration that at least {@code fraction} of the recorded ones do not exceed. */
  long percentile(double fraction) {
    long wanted = (long) Math.ceil(fraction * total);
    long seen = 0;
    for (int ns = 0; ns < counts.length; ns++) {
      seen += counts[ns];
      if (seen >= wanted && seen > 0) {
        return ns;
      }
    }
    return -1;
  }

  /** "p50 N p90 N p99 N p99.9 N ns", with {@code >65535} for the overflow bucket. */
  String summary() {
    StringBuilder s = new StringBuilder();
    double[] fractions = {0.50, 0.90, 0.99, 0.999};
    String[] names = {"p50", "p90", "p99", "p99.9"};
    for (int i = 0; i < fractions.length; i++) {
      long p = percentile(fractions[i]);
      s.append(i == 0 ? "" : "  ").append(names[i]).append(' ');
      s.append(p > LIMIT ? ">" + LIMIT : Long.toString(p));
    }
    return s.append(" ns").toString();
  }
}
