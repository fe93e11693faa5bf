package dev.ordinal.controller.retention;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The decision for every claim of one StatefulSet, when to look again (the earliest grace expiry, or a snapshot
 * to check on), and whether the StatefulSet's own snapshot-before-delete finalizer is to be added or removed.
 */
public record RetentionPlan(StatefulSetState set, List<ClaimAction> actions, Optional<Instant> revisitAt,
        Optional<SetFinalizer> setFinalizer) {

    public RetentionPlan {
        actions = List.copyOf(actions);
    }

    public RetentionPlan(StatefulSetState set, List<ClaimAction> actions, Optional<Instant> revisitAt) {
        this(set, actions, revisitAt, Optional.empty());
    }

    /**
     * Add ({@code hold}) or remove the finalizer {@code ordinal.csi.dev/snapshot-before-delete} on the StatefulSet:
     * while it is there, deleting the StatefulSet leaves it terminating, so the garbage collector does not delete its
     * claims before their snapshots are ready.
     */
    public record SetFinalizer(boolean hold, Rule rule) {
    }

    public List<ClaimAction> changes() {
        return actions.stream().filter(ClaimAction::changes).toList();
    }
}
