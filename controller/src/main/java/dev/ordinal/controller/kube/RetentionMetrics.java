package dev.ordinal.controller.kube;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * {@code ordinal_controller_retention_actions_total{action}}, {@code ordinal_controller_reconcile_duration_seconds}
 * and {@code ordinal_controller_reconcile_errors_total}.
 */
final class RetentionMetrics {

    private final MeterRegistry registry;
    private final Timer duration;
    private final Counter errors;

    RetentionMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.duration = Timer.builder("ordinal.controller.reconcile.duration")
                .description("Time to reconcile the claims of one StatefulSet").register(registry);
        this.errors = Counter.builder("ordinal.controller.reconcile.errors")
                .description("Reconciles that failed and were retried").register(registry);
    }

    void action(String action) {
        Counter.builder("ordinal.controller.retention.actions").tag("action", action)
                .description("Retention actions applied to claims").register(registry).increment();
    }

    Timer duration() {
        return duration;
    }

    void error() {
        errors.increment();
    }
}
