package dev.ordinal.controller.kube;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The controller's own meters: {@code ordinal_controller_reconcile_duration_seconds},
 * {@code ordinal_controller_reconcile_errors_total}, {@code ordinal_controller_queue_depth},
 * {@code ordinal_controller_retention_actions_total{action}} and {@code ordinal_controller_snapshots_total{result}}.
 * Steps register theirs next to these.
 */
final class ControllerMetrics {


    private final MeterRegistry registry;
    private final Timer duration;
    private final Counter errors;

    ControllerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.duration = Timer.builder("ordinal.controller.reconcile.duration")
                .description("Time to reconcile the claims of one StatefulSet").register(registry);
        this.errors = Counter.builder("ordinal.controller.reconcile.errors")
                .description("Reconciles that failed and were retried").register(registry);
    }

    /** StatefulSets waiting for a reconcile (queued, not yet running). */
    void queueDepth(java.util.function.Supplier<Number> depth) {
        Gauge.builder("ordinal.controller.queue.depth", depth).description("StatefulSets waiting for a reconcile")
                .register(registry);
    }

    MeterRegistry registry() {
        return registry;
    }

    void action(String action) {
        Counter.builder("ordinal.controller.retention.actions").tag("action", action)
                .description("Retention actions applied to claims").register(registry).increment();
    }

    /** Snapshot-before-delete: {@code requested}, {@code ready} (a claim let go after it), {@code failed}. */
    void snapshot(String result) {
        Counter.builder("ordinal.controller.snapshots").tag("result", result)
                .description("VolumeSnapshots taken before retention lets a claim go, by outcome").register(registry).increment();
    }

    Timer duration() {
        return duration;
    }

    void error() {
        errors.increment();
    }
}
