package dev.ordinal.controller.retention;

import dev.ordinal.contract.Annotations;
import dev.ordinal.controller.retention.ClaimAction.AddSnapshotFinalizer;
import dev.ordinal.controller.retention.ClaimAction.AwaitSnapshot;
import dev.ordinal.controller.retention.ClaimAction.Delete;
import dev.ordinal.controller.retention.ClaimAction.Keep;
import dev.ordinal.controller.retention.ClaimAction.LeaveAlone;
import dev.ordinal.controller.retention.ClaimAction.RemoveSnapshotFinalizer;
import dev.ordinal.controller.retention.ClaimAction.RequestSnapshot;
import dev.ordinal.controller.retention.ClaimAction.SetOwners;
import dev.ordinal.controller.retention.RetentionPlan.SetFinalizer;
import java.util.List;
import java.util.Optional;

/**
 * Snapshot-before-delete, laid over retention's decision for each claim: no claim of a StatefulSet with the
 * annotation goes before a VolumeSnapshot of it is ready to use.
 *
 * <p>Why it is shaped this way: a finalizer on the claim keeps the object (and its volume) whoever deletes it, but
 * the snapshot controller refuses to <em>start</em> a snapshot of a claim that is already being deleted ("cannot
 * add finalizer on claim because it is being deleted"). So the snapshot has to be asked for before anything can
 * delete the claim:
 * <ul>
 *   <li>retention's own deletions (a scaled-down claim whose Pod is gone, a claim of a deleted StatefulSet) wait:
 *       snapshot, ready, then delete;
 *   <li>a scaled-down claim is not handed to the garbage collector (no Pod reference of ours): it waits for its Pod
 *       to be gone, so the snapshot has all the Pod wrote;
 *   <li>a scaled-down claim that the StatefulSet controller itself hands to the collector (its Pod reference;
 *       whenScaled=Delete in the spec it applies) is snapshotted at once, while the Pod shuts down;
 *   <li>the StatefulSet carries the finalizer too: deleting it leaves it terminating (the collector deletes no
 *       dependent of an owner that still exists) until the claims that go with it have ready snapshots and the
 *       claims that outlive it have lost their finalizer.
 * </ul>
 * A claim someone deletes anyway (a user, a foreground cascade) is held by its finalizer and snapshotted if the
 * snapshot controller still can; if it cannot, the snapshot's error is reported and the claim stays until the
 * annotation is removed.
 */
final class SnapshotGate {

    private static final String FINALIZER = Annotations.SNAPSHOT_BEFORE_DELETE;
    /** The API server's finalizer for an orphaning delete: the collector is removing the dependents' references. */
    static final String ORPHAN = "orphan";

    private SnapshotGate() {
    }

    static ClaimAction gate(StatefulSetState set, ClaimState claim, ClaimAction decided) {
        return switch (set.lifecycle()) {
            case LIVE -> live(set, claim, decided);
            case DELETING -> deleting(set, claim, decided);
            case GONE -> gone(claim, decided);
        };
    }

    private static ClaimAction live(StatefulSetState set, ClaimState claim, ClaimAction decided) {
        SnapshotBeforeDelete policy = set.snapshots();
        if (policy.isInvalid()) {
            boolean letsGo = decided instanceof Delete
                    || decided instanceof SetOwners owners && handsToPod(claim, owners.owners());
            return letsGo ? new Keep(claim, Rule.SNAPSHOT_INVALID) : decided;
        }
        if (!policy.enabled()) {
            return claim.snapshotFinalizer() ? new RemoveSnapshotFinalizer(claim, Rule.SNAPSHOT_OFF) : decided;
        }
        if (claim.deleting()) {
            return claim.snapshotFinalizer() ? deleted(claim, policy.className()) : decided;
        }
        if (decided instanceof LeaveAlone) {
            return decided;
        }
        if (!claim.snapshotFinalizer()) {
            return new AddSnapshotFinalizer(claim, Rule.SNAPSHOT_FINALIZER);
        }
        if (decided instanceof Delete) {
            return snapshotFirst(claim, policy.className(), Rule.SNAPSHOT_BEFORE_DELETE, decided);
        }
        boolean condemned = claim.claim().ordinal() >= set.end() && set.policy().deleteWhenScaled();
        // Kubernetes' StatefulSet controller (whenScaled=Delete in the spec it applies) gives the claim its Pod
        // reference at scale-down and the collector deletes it once the Pod is gone: the snapshot is asked for as
        // soon as the claim is scaled down, not only once that reference is seen, to be ahead of the deletion.
        if (condemned && (set.builtInDeletesScaledDown() || handsToPod(claim, claim.owners()))) {
            return snapshotFirst(claim, policy.className(), Rule.SNAPSHOT_BEFORE_GC, decided);
        }
        if (decided instanceof SetOwners owners && handsToPod(claim, owners.owners())) {
            return new Keep(claim, Rule.SNAPSHOT_WAITS_FOR_POD);
        }
        return decided;
    }

    private static ClaimAction deleting(StatefulSetState set, ClaimState claim, ClaimAction decided) {
        SnapshotBeforeDelete policy = set.snapshots();
        if (policy.isInvalid()) {
            return decided;
        }
        if (!policy.enabled()) {
            return claim.snapshotFinalizer() ? new RemoveSnapshotFinalizer(claim, Rule.SNAPSHOT_OFF) : decided;
        }
        if (claim.deleting()) {
            return claim.snapshotFinalizer() ? deleted(claim, policy.className()) : decided;
        }
        if (set.finalizers().contains(ORPHAN)) {
            return decided; // The collector is removing the references: these claims stay.
        }
        if (goesWithSet(set, claim)) {
            return snapshotFirst(claim, policy.className(), Rule.SNAPSHOT_BEFORE_DELETE, new Keep(claim, Rule.SNAPSHOT_READY));
        }
        return claim.snapshotFinalizer() ? new RemoveSnapshotFinalizer(claim, Rule.SNAPSHOT_NOT_NEEDED) : decided;
    }

    /**
     * The StatefulSet is gone, and with it the annotation: the claim's finalizer is what says a snapshot is due.
     * Such snapshots are normally made while the StatefulSet was held terminating; one made here (its finalizer was
     * removed by hand) uses the default class, the set's choice being gone.
     */
    private static ClaimAction gone(ClaimState claim, ClaimAction decided) {
        if (!claim.snapshotFinalizer()) {
            return decided;
        }
        if (claim.deleting()) {
            return deleted(claim, Optional.empty());
        }
        if (decided instanceof Delete) {
            return snapshotFirst(claim, Optional.empty(), Rule.SNAPSHOT_BEFORE_DELETE, decided);
        }
        return new RemoveSnapshotFinalizer(claim, Rule.SNAPSHOT_NOT_NEEDED);
    }

    /** The StatefulSet's finalizer: held while snapshot-before-delete is on, released when its deletion may go on. */
    static Optional<SetFinalizer> setFinalizer(StatefulSetState set, List<ClaimAction> actions) {
        boolean held = set.finalizers().contains(FINALIZER);
        SnapshotBeforeDelete policy = set.snapshots();
        switch (set.lifecycle()) {
            case LIVE -> {
                if (policy.enabled() && !held) {
                    return Optional.of(new SetFinalizer(true, Rule.SNAPSHOT_FINALIZER));
                }
                if (!policy.enabled() && !policy.isInvalid() && held) {
                    return Optional.of(new SetFinalizer(false, Rule.SNAPSHOT_OFF));
                }
                return Optional.empty();
            }
            case DELETING -> {
                if (!held || policy.isInvalid()) {
                    return Optional.empty();
                }
                if (!policy.enabled()) {
                    return Optional.of(new SetFinalizer(false, Rule.SNAPSHOT_OFF));
                }
                boolean settled = !set.finalizers().contains(ORPHAN)
                        && actions.stream().noneMatch(a -> a.changes() || a instanceof AwaitSnapshot);
                return settled ? Optional.of(new SetFinalizer(false, Rule.SNAPSHOT_READY)) : Optional.empty();
            }
            default -> {
                return Optional.empty();
            }
        }
    }

    /** A claim someone is deleting, held by our finalizer: released once a snapshot is ready. */
    private static ClaimAction deleted(ClaimState claim, Optional<String> className) {
        if (claim.snapshot().phase() == ClaimSnapshot.Phase.READY) {
            return new RemoveSnapshotFinalizer(claim, Rule.SNAPSHOT_READY);
        }
        return snapshotFirst(claim, className, Rule.SNAPSHOT_CLAIM_DELETED, null);
    }

    private static ClaimAction snapshotFirst(ClaimState claim, Optional<String> className, Rule request,
            ClaimAction whenReady) {
        ClaimSnapshot snapshot = claim.snapshot();
        return switch (snapshot.phase()) {
            case NONE -> new RequestSnapshot(claim, request, snapshot.name(), className);
            case PENDING -> new AwaitSnapshot(claim, Rule.SNAPSHOT_PENDING, snapshot);
            case FAILED -> new AwaitSnapshot(claim, Rule.SNAPSHOT_FAILED, snapshot);
            case READY -> whenReady;
        };
    }

    /** Whether these owners let the collector delete the claim once its Pod is gone. */
    private static boolean handsToPod(ClaimState claim, List<OwnerRef> owners) {
        return owners.stream().anyMatch(ref -> ref.names(OwnerRef.POD, claim.claim().podName()));
    }

    /** Whether the collector deletes the claim once the StatefulSet (and its Pods) are gone. */
    private static boolean goesWithSet(StatefulSetState set, ClaimState claim) {
        return claim.owners().stream().anyMatch(ref -> ref.names(OwnerRef.STATEFUL_SET, set.name()) && ref.uid().equals(set.uid())
                || ref.names(OwnerRef.POD, claim.claim().podName()));
    }
}
