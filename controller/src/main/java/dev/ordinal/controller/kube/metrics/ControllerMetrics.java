package dev.ordinal.controller.kube.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;

/**
 * The controller's own meters: {@code ordinal_controller_reconcile_duration_seconds},
 * {@code ordinal_controller_reconcile_errors_total}, {@code ordinal_controller_queue_depth},
 * {@code ordinal_controller_retention_actions_total{action}}, {@code ordinal_controller_snapshots_total{result}},
 * {@code ordinal_controller_rebinds_total{result}}, {@code ordinal_controller_node_loss_releases_total} and
 * {@code ordinal_controller_node_loss_pod_deletions_total}.
 * Steps register theirs next to these.
 */
public final class ControllerMetrics {

    /** Every {@code action} of {@code ordinal_controller_retention_actions_total}, as docs/METRICS.md lists them. */
    static final List<String> ACTIONS = List.of("set-owners", "grace-started", "grace-cancelled",
            "delete", "snapshot-finalizer-added", "snapshot-finalizer-removed", "set-held", "set-released");
    /** Every {@code result} of {@code ordinal_controller_snapshots_total}. */
    static final List<String> SNAPSHOT_RESULTS = List.of("requested", "ready", "failed");

    private final MeterRegistry registry;
    private final Timer duration;
    private final Counter errors;

    public ControllerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.duration = Timer.builder("ordinal.controller.reconcile.duration")
                .description("Time to reconcile the claims of one StatefulSet").register(registry);
        this.errors = Counter.builder("ordinal.controller.reconcile.errors")
                .description("Reconciles that failed and were retried").register(registry);
        // Registered at zero, so that rate() and alerts see the series before the first action, rebind or node loss.
        ACTIONS.forEach(this::actionCounter);
        SNAPSHOT_RESULTS.forEach(this::snapshotCounter);
        rebindCounter("rebound");
        rebindCounter("skipped");
        nodeLossReleases();
        nodeLossPodDeletions();
    }

    /** StatefulSets waiting for a reconcile (queued, not yet running). */
    public void queueDepth(java.util.function.Supplier<Number> depth) {
        Gauge.builder("ordinal.controller.queue.depth", depth).description("StatefulSets waiting for a reconcile")
                .register(registry);
    }

    MeterRegistry registry() {
        return registry;
    }

    public void action(String action) {
        actionCounter(action).increment();
    }

    private Counter actionCounter(String action) {
        return Counter.builder("ordinal.controller.retention.actions").tag("action", action)
                .description("Retention actions applied to claims and StatefulSets").register(registry);
    }

    /** A claim rebound to its ordinal's Released volume ({@code rebound}), or marked to get a new one ({@code skipped}). */
    public void rebind(String result) {
        rebindCounter(result).increment();
    }

    /** A claim deleted because the node its local volume lived on was lost. */
    public void nodeLossRelease() {
        nodeLossReleases().increment();
    }

    /** A Pod force-deleted from a lost node. */
    public void nodeLossPodDeletion() {
        nodeLossPodDeletions().increment();
    }

    private Counter rebindCounter(String result) {
        return Counter.builder("ordinal.controller.rebinds").tag("result", result)
                .description("Claims rebound to the Released volume of their ordinal, or skipped").register(registry);
    }

    private Counter nodeLossReleases() {
        return Counter.builder("ordinal.controller.node.loss.releases")
                .description("Claims released because their volume's node was lost").register(registry);
    }

    private Counter nodeLossPodDeletions() {
        return Counter.builder("ordinal.controller.node.loss.pod.deletions")
                .description("Pods force-deleted from a lost node").register(registry);
    }

    /** Snapshot-before-delete: {@code requested}, {@code ready} (a claim let go after it), {@code failed}. */
    public void snapshot(String result) {
        snapshotCounter(result).increment();
    }

    private Counter snapshotCounter(String result) {
        return Counter.builder("ordinal.controller.snapshots").tag("result", result)
                .description("VolumeSnapshots taken before retention lets a claim go, by outcome").register(registry);
    }

    public Timer duration() {
        return duration;
    }

    public void error() {
        errors.increment();
    }
}
