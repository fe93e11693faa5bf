package dev.ordinal.controller.kube.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code ordinal_controller_ordered_binding_admissions_total}, {@code ordinal_controller_ordered_binding_wait_seconds}
 * (a histogram of the time from a claim's creation to its admission: how long ordered binding held it back) and
 * {@code ordinal_controller_ordered_binding_waiting_claims} (claims waiting for an earlier ordinal now).
 */
public final class OrderedBindingMetrics {

    /** Waits run from nothing (ordinal 0) to as long as provisioning a whole set takes. */
    private static final Duration[] WAIT_BUCKETS = {Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(15),
            Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(5),
            Duration.ofMinutes(10), Duration.ofMinutes(30), Duration.ofHours(1)};

    private static final String WAITING = "ordinal.controller.ordered.binding.waiting.claims";

    private final Counter admissions;
    private final Timer wait;
    /** Claims waiting, per StatefulSet key, as its last reconcile found them. */
    private final Map<String, Integer> waiting = new ConcurrentHashMap<>();

    public OrderedBindingMetrics(MeterRegistry registry) {
        this.admissions = Counter.builder("ordinal.controller.ordered.binding.admissions")
                .description("Claims admitted for provisioning by ordered binding").register(registry);
        this.wait = Timer.builder("ordinal.controller.ordered.binding.wait")
                .description("Time from a claim's creation to its admission by ordered binding")
                .serviceLevelObjectives(WAIT_BUCKETS).register(registry);
        // Micrometer answers a second registration with the meter already there: a gauge left by an earlier
        // controller on this registry (an application restarted in the same JVM, as tests do) would go on reading
        // that controller's map. One controller per registry, so the newest one's gauge is the one to keep.
        registry.find(WAITING).gauges().forEach(registry::remove);
        Gauge.builder(WAITING, waiting,
                        w -> w.values().stream().mapToInt(Integer::intValue).sum())
                .description("Claims whose provisioning waits for an earlier ordinal to be Bound").register(registry);
    }

    public void admitted(Duration waited) {
        admissions.increment();
        wait.record(waited);
    }

    public void waiting(String setKey, int claims) {
        if (claims == 0) {
            waiting.remove(setKey);
        } else {
            waiting.put(setKey, claims);
        }
    }
}
