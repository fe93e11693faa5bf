package dev.ordinal.controller.retention;

import dev.ordinal.controller.model.OrdinalClaim;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** What retention does to one claim in one reconcile. Each step is idempotent; the next reconcile takes the next. */
public sealed interface ClaimAction {

    ClaimState state();

    Rule rule();

    default OrdinalClaim claim() {
        return state().claim();
    }

    /** Nothing to change. */
    record Keep(ClaimState state, Rule rule) implements ClaimAction {
    }

    /** Nothing to change, and never will be while this holds (a foreign controller, a stale owner). */
    record LeaveAlone(ClaimState state, Rule rule) implements ClaimAction {
    }

    /** Replace the claim's owner references with these (references that are not ours are kept as they are). */
    record SetOwners(ClaimState state, Rule rule, List<OwnerRef> owners) implements ClaimAction {
        public SetOwners {
            owners = List.copyOf(owners);
        }
    }

    /** Record when the claim was first seen scaled down, which starts its grace period. */
    record StartGrace(ClaimState state, Rule rule, Instant since) implements ClaimAction {
    }

    /** Forget the scaled-down time: the claim is back in range, or no longer to be deleted. */
    record CancelGrace(ClaimState state, Rule rule) implements ClaimAction {
    }

    /**
     * Delete the claim. The edge checks the StatefulSet and Pod again, fresh from the API server, first; under
     * snapshot-before-delete also that the claim's snapshot is ready to use, and it removes the finalizer after.
     */
    record Delete(ClaimState state, Rule rule) implements ClaimAction {
    }

    /** Snapshot-before-delete: add the finalizer that keeps the claim until its snapshot is ready. */
    record AddSnapshotFinalizer(ClaimState state, Rule rule) implements ClaimAction {
    }

    /** Snapshot-before-delete: remove the finalizer (the snapshot is ready, or none is needed any more). */
    record RemoveSnapshotFinalizer(ClaimState state, Rule rule) implements ClaimAction {
    }

    /** Snapshot-before-delete: make the claim's VolumeSnapshot (the class's name, or empty for the default class). */
    record RequestSnapshot(ClaimState state, Rule rule, String snapshotName, Optional<String> className)
            implements ClaimAction {
    }

    /**
     * Snapshot-before-delete: the claim is kept until its snapshot is ready. Changes nothing in the cluster, but a
     * snapshot that reports an error is reported (a Warning Event).
     */
    record AwaitSnapshot(ClaimState state, Rule rule, ClaimSnapshot snapshot) implements ClaimAction {

        @Override
        public boolean changes() {
            return snapshot.phase() == ClaimSnapshot.Phase.FAILED;
        }
    }

    /** Whether the action changes anything in the cluster. */
    default boolean changes() {
        return !(this instanceof Keep || this instanceof LeaveAlone);
    }
}
