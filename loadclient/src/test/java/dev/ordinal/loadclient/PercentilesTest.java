package dev.ordinal.loadclient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class PercentilesTest {

  @Test
  void nearestRankOnOneToHundred() {
    long[] sorted = LongStream.rangeClosed(1, 100).toArray();
    assertEquals(50, Percentiles.nearestRank(sorted, 50));
    assertEquals(90, Percentiles.nearestRank(sorted, 90));
    assertEquals(99, Percentiles.nearestRank(sorted, 99));
    assertEquals(100, Percentiles.nearestRank(sorted, 100));
    assertEquals(1, Percentiles.nearestRank(sorted, 0.5));
    assertEquals(1, Percentiles.nearestRank(sorted, 1));
    assertEquals(2, Percentiles.nearestRank(sorted, 1.01));
  }

  @Test
  void smallSamplesUseObservedValuesNotInterpolation() {
    // Ten samples: p90 is the 9th smallest, p99 and max are the 10th.
    long[] sorted = {10, 20, 30, 40, 50, 60, 70, 80, 90, 1000};
    assertEquals(50, Percentiles.nearestRank(sorted, 50));
    assertEquals(90, Percentiles.nearestRank(sorted, 90));
    assertEquals(1000, Percentiles.nearestRank(sorted, 99));
    long[] one = {7};
    assertEquals(7, Percentiles.nearestRank(one, 50));
    assertEquals(7, Percentiles.nearestRank(one, 99));
    // Two samples: the median is the lower one (rank ceil(0.5*2) = 1).
    assertEquals(3, Percentiles.nearestRank(new long[] {3, 9}, 50));
    assertEquals(9, Percentiles.nearestRank(new long[] {3, 9}, 51));
  }

  @Test
  void summarizeSortsACopyAndReportsMax() {
    long[] samples = new long[1000];
    for (int i = 0; i < samples.length; i++) {
      samples[i] = 1000 - i; // descending 1000..1
    }
    long[] before = samples.clone();
    Percentiles.Summary s = Percentiles.summarize(samples);
    assertArrayEquals(before, samples, "input must not be reordered");
    assertEquals(1000, s.count());
    assertEquals(500, s.p50());
    assertEquals(900, s.p90());
    assertEquals(990, s.p99());
    assertEquals(1000, s.max());
  }

  @Test
  void summaryMatchesABruteForceDefinitionOnRandomData() {
    Random random = new Random(42);
    for (int round = 0; round < 50; round++) {
      int n = 1 + random.nextInt(500);
      long[] samples = random.longs(n, 0, 10_000).toArray();
      Percentiles.Summary s = Percentiles.summarize(samples);
      assertEquals(bruteForce(samples, 50), s.p50());
      assertEquals(bruteForce(samples, 90), s.p90());
      assertEquals(bruteForce(samples, 99), s.p99());
      assertEquals(LongStream.of(samples).max().orElseThrow(), s.max());
    }
  }

  /** Smallest sample v such that at least p% of samples are <= v, straight from the definition. */
  private static long bruteForce(long[] samples, double p) {
    long best = Long.MAX_VALUE;
    for (long candidate : samples) {
      long atOrBelow = LongStream.of(samples).filter(x -> x <= candidate).count();
      if (atOrBelow * 100.0 >= p * samples.length && candidate < best) {
        best = candidate;
      }
    }
    return best;
  }

  @Test
  void emptyAndInvalidInputs() {
    assertEquals(0, Percentiles.summarize(new long[0]).count());
    assertThrows(IllegalArgumentException.class, () -> Percentiles.nearestRank(new long[0], 50));
    assertThrows(IllegalArgumentException.class, () -> Percentiles.nearestRank(new long[] {1}, 0));
    assertThrows(
        IllegalArgumentException.class, () -> Percentiles.nearestRank(new long[] {1}, 100.5));
  }

  @Test
  void recorderKeepsEverySampleAcrossGrowth() {
    LatencyRecorder r = new LatencyRecorder();
    for (int i = 0; i < 10_000; i++) {
      r.record(i);
    }
    long[] all = r.toArray();
    assertEquals(10_000, all.length);
    assertEquals(9_999, all[9_999]);
    // rank ceil(0.99 * 10000) = 9900 -> the 9900th smallest sample, which is 9899.
    assertEquals(9_899, Percentiles.summarize(all).p99());
  }
}
