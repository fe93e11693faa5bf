package dev.ordinal.loadclient;

import io.grpc.Status;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/** Renders a finished run as plain text. */
final class Report {

  private Report() {}

  static void print(PrintStream out, Scenario scenario, Options options, LoadRunner.Result result) {
    PhaseStats m = result.measured();
    double seconds = result.measuredElapsed().toNanos() / 1e9;
    long ok = m.iterationsOk.sum();
    long failed = m.iterationsFailed.sum();
    out.printf(
        Locale.ROOT,
        "%n== %s: %d iterations ok, %d failed in %.2f s -> %.1f iterations/s"
            + " (concurrency %d, %s)%n",
        scenario.name,
        ok,
        failed,
        seconds,
        ok / seconds,
        options.concurrency(),
        options.mode().name().toLowerCase(Locale.ROOT));
    out.printf(
        Locale.ROOT,
        "%-28s %9s %8s %10s %10s %10s %10s %10s%n",
        "method",
        "calls",
        "errors",
        "ok/s",
        "p50(us)",
        "p90(us)",
        "p99(us)",
        "max(us)");
    for (MethodStats ms : m.methods()) {
      Percentiles.Summary lat = ms.latency();
      long calls = ms.okCount() + ms.errorCount();
      out.printf(
          Locale.ROOT,
          "%-28s %9d %8d %10.1f %10s %10s %10s %10s%n",
          ms.method,
          calls,
          ms.errorCount(),
          ms.okCount() / seconds,
          micros(lat, lat.p50()),
          micros(lat, lat.p90()),
          micros(lat, lat.p99()),
          micros(lat, lat.max()));
    }
    printErrors(out, "errors", m);
    PhaseStats w = result.warmup();
    if (!options.warmup().isZero()) {
      out.printf(
          Locale.ROOT,
          "warmup (%s, not in the table): %d iterations ok, %d failed%n",
          format(options.warmup()),
          w.iterationsOk.sum(),
          w.iterationsFailed.sum());
      printErrors(out, "warmup errors", w);
    }
  }

  private static void printErrors(PrintStream out, String title, PhaseStats stats) {
    if (stats.totalErrors() == 0) {
      return;
    }
    out.println(title + ":");
    for (MethodStats ms : stats.methods()) {
      for (Map.Entry<Status.Code, MethodStats.ErrorTally> e : ms.errors().entrySet()) {
        out.printf(
            Locale.ROOT,
            "  %-26s %-20s x%-7d first: %s%n",
            ms.method,
            e.getKey(),
            e.getValue().count.sum(),
            e.getValue().firstMessage);
      }
    }
  }

  private static String micros(Percentiles.Summary lat, long nanos) {
    return lat.count() == 0 ? "-" : Long.toString(Math.round(nanos / 1000.0));
  }

  static String format(Duration d) {
    return d.toMillis() % 1000 == 0 ? (d.toMillis() / 1000) + "s" : d.toMillis() + "ms";
  }
}
