package dev.ordinal.loadclient;

import java.util.Arrays;

/**
 * Exact percentiles over every recorded sample (nearest-rank definition), so small runs report
 * real observed latencies rather than interpolated or bucketed ones.
 */
public final class Percentiles {

  private Percentiles() {}

  /**
   * Nearest-rank percentile of an ascending array: the smallest sample such that at least
   * {@code percentile}% of samples are less than or equal to it. p100 is the maximum.
   */
  public static long nearestRank(long[] sorted, double percentile) {
    if (sorted.length == 0) {
      throw new IllegalArgumentException("no samples");
    }
    if (!(percentile > 0 && percentile <= 100)) {
      throw new IllegalArgumentException("percentile must be in (0, 100]: " + percentile);
    }
    // Math.ceil on p/100*n: rank 1 is the smallest sample. The epsilon keeps e.g. 0.9*10 = 9.000…2
    // from rounding up to rank 10.
    long rank = (long) Math.ceil(percentile / 100.0 * sorted.length - 1e-9);
    int index = (int) Math.max(0, Math.min(sorted.length - 1, rank - 1));
    return sorted[index];
  }

  /** p50/p90/p99/max of a set of samples (any order; the argument is not modified). */
  public static Summary summarize(long[] samples) {
    if (samples.length == 0) {
      return Summary.EMPTY;
    }
    long[] sorted = samples.clone();
    Arrays.sort(sorted);
    return new Summary(
        sorted.length,
        nearestRank(sorted, 50),
        nearestRank(sorted, 90),
        nearestRank(sorted, 99),
        sorted[sorted.length - 1]);
  }

  /** Latency summary in the unit the samples were recorded in. */
  public record Summary(long count, long p50, long p90, long p99, long max) {
    static final Summary EMPTY = new Summary(0, 0, 0, 0, 0);
  }
}
