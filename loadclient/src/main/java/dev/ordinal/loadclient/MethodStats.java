package dev.ordinal.loadclient;

import io.grpc.Status;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Outcome of every call to one RPC method during one phase (warmup or measured). */
final class MethodStats {

  /** Errors of one status code: how many, and the first message seen (later ones are usually the same). */
  static final class ErrorTally {
    final LongAdder count = new LongAdder();
    final String firstMessage;

    ErrorTally(String firstMessage) {
      this.firstMessage = firstMessage;
    }
  }

  final String method;
  private final LatencyRecorder okLatencies = new LatencyRecorder();
  private final LongAdder ok = new LongAdder();
  private final ConcurrentHashMap<Status.Code, ErrorTally> errors = new ConcurrentHashMap<>();

  MethodStats(String method) {
    this.method = method;
  }

  void recordOk(long nanos) {
    ok.increment();
    okLatencies.record(nanos);
  }

  void recordError(Status status) {
    String message = status.getDescription();
    if (message == null && status.getCause() != null) {
      message = status.getCause().toString();
    }
    String first = message == null ? "" : message;
    errors.computeIfAbsent(status.getCode(), c -> new ErrorTally(first)).count.increment();
  }

  long okCount() {
    return ok.sum();
  }

  long errorCount() {
    long n = 0;
    for (ErrorTally t : errors.values()) {
      n += t.count.sum();
    }
    return n;
  }

  /** Errors ordered by status code number so output is stable. */
  Map<Status.Code, ErrorTally> errors() {
    TreeMap<Status.Code, ErrorTally> sorted = new TreeMap<>();
    sorted.putAll(errors);
    return sorted;
  }

  /** Latency of successful calls, in nanoseconds. */
  Percentiles.Summary latency() {
    return Percentiles.summarize(okLatencies.toArray());
  }
}
