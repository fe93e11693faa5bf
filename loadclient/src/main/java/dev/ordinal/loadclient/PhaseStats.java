package dev.ordinal.loadclient;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Everything recorded in one phase. All method slots are created up front (in scenario order) so
 * the map is read-only while workers run.
 */
final class PhaseStats {
  final String phase;
  private final Map<String, MethodStats> methods = new LinkedHashMap<>();
  final LongAdder iterationsOk = new LongAdder();
  final LongAdder iterationsFailed = new LongAdder();

  PhaseStats(String phase, List<String> methodNames) {
    this.phase = phase;
    for (String name : methodNames) {
      methods.put(name, new MethodStats(name));
    }
  }

  MethodStats method(String name) {
    MethodStats stats = methods.get(name);
    if (stats == null) {
      throw new IllegalArgumentException("method not part of the scenario: " + name);
    }
    return stats;
  }

  Iterable<MethodStats> methods() {
    return methods.values();
  }

  long totalErrors() {
    long n = 0;
    for (MethodStats m : methods.values()) {
      n += m.errorCount();
    }
    return n;
  }
}
