package dev.ordinal.controller.kube.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;

/**
 * Issue 8's allocator meters as the controller sees them: {@code ordinal_controller_allocator_decision_seconds} (the
 * allocator's call for one claim), {@code ordinal_controller_allocator_refusals_total{reason}} (the allocator's
 * reason in lower case: capacity, spread, sticky, topology, cordoned, layout, no_nodes; or parameters when the class
 * cannot be read) and {@code ordinal_controller_placements_total} (placement annotations written).
 */
public final class PlacementMetrics {

    /** A decision takes about a microsecond; the upper buckets show a model that has grown too big. */
    private static final Duration[] DECISION_BUCKETS = {Duration.ofNanos(10_000), Duration.ofNanos(100_000),
            Duration.ofMillis(1), Duration.ofMillis(10), Duration.ofMillis(100)};

    private final MeterRegistry registry;
    private final Timer decision;
    private final Counter placements;

    public PlacementMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.decision = Timer.builder("ordinal.controller.allocator.decision")
                .description("Time the allocator took to place or refuse one claim")
                .serviceLevelObjectives(DECISION_BUCKETS).register(registry);
        this.placements = Counter.builder("ordinal.controller.placements")
                .description("Placements written on claims of Immediate binding").register(registry);
    }

    public void decided(Duration took) {
        decision.record(took);
    }

    public void placed() {
        placements.increment();
    }

    public void refused(String reason) {
        Counter.builder("ordinal.controller.allocator.refusals").tag("reason", reason.toLowerCase(Locale.ROOT))
                .description("Claims the allocator found no disk for, by reason").register(registry).increment();
    }
}
