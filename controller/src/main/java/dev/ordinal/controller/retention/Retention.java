package dev.ordinal.controller.retention;

import dev.ordinal.controller.model.OrdinalClaim;
import dev.ordinal.controller.retention.ClaimAction.AwaitSnapshot;
import dev.ordinal.controller.retention.ClaimAction.CancelGrace;
import dev.ordinal.controller.retention.ClaimAction.Delete;
import dev.ordinal.controller.retention.ClaimAction.Keep;
import dev.ordinal.controller.retention.ClaimAction.LeaveAlone;
import dev.ordinal.controller.retention.ClaimAction.SetOwners;
import dev.ordinal.controller.retention.ClaimAction.StartGrace;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * KEP-1847 claim retention as a pure function of a StatefulSet, its claims and the time.
 *
 * <p>The owner references are the ones the StatefulSet controller itself sets since Kubernetes 1.32 (controller
 * references, {@code stateful_set_utils.go}), so that where the built-in controller also runs, both compute the
 * same references and neither undoes the other:
 * <ul>
 *   <li>Retain/Retain: no references of ours.
 *   <li>whenDeleted=Delete, whenScaled=Retain: every claim is controlled by the StatefulSet.
 *   <li>whenDeleted=Retain, whenScaled=Delete: a scaled-down claim (ordinal at or above start + replicas) is
 *       controlled by its Pod; others have no reference of ours.
 *   <li>Delete/Delete: a scaled-down claim is controlled by its Pod, every other claim by the StatefulSet.
 * </ul>
 * The garbage collector deletes a claim once its owner is gone; clusters without it (and test servers) get the
 * same from here: a scaled-down claim whose Pod is gone, and a claim controlled by a StatefulSet that is gone, are
 * deleted. A non-cascading (orphaning) delete removes the references before the StatefulSet goes, so its claims
 * stay. Claims with a foreign controller are never touched; a claim whose ordinal is below start + replicas is
 * never deleted. The grace annotation delays a scaled-down claim's Pod reference and deletion; a scale-up within
 * the grace period cancels it. Where Kubernetes' StatefulSet controller applies the spec's policy (the field kept by
 * the API server, 1.32+), it decides the references: with whenScaled=Delete there it hands scaled-down claims to the
 * collector at once and no grace period is started; with whenScaled=Retain there it removes Pod references, so a
 * whenScaled=Delete given by annotation sets none and deletes the claim here once its Pod is gone.
 * Snapshot-before-delete ({@link SnapshotGate}) is laid over every decision.
 */
public final class Retention {

    private static final Duration PENDING_RECHECK = Duration.ofSeconds(10);
    private static final Duration FAILED_RECHECK = Duration.ofSeconds(30);

    private Retention() {
    }

    public static RetentionPlan plan(StatefulSetState set, List<ClaimState> claims, Instant now) {
        List<ClaimAction> actions = new ArrayList<>();
        Optional<Instant> revisit = Optional.empty();
        for (ClaimState claim : claims) {
            ClaimAction action = switch (set.lifecycle()) {
                case DELETING -> new Keep(claim, Rule.SET_DELETING);
                case GONE -> afterDeletion(set, claim);
                case LIVE -> live(set, claim, now);
            };
            action = SnapshotGate.gate(set, claim, action);
            actions.add(action);
            if (action instanceof AwaitSnapshot await) {
                // The snapshot informer brings the change; this is for when it cannot (no snapshot API yet).
                Instant recheck = now.plus(await.snapshot().phase() == ClaimSnapshot.Phase.FAILED ? FAILED_RECHECK : PENDING_RECHECK);
                revisit = revisit.filter(at -> at.isBefore(recheck)).or(() -> Optional.of(recheck));
            } else if (action instanceof Keep keep && keep.rule() == Rule.GRACE_RUNNING) {
                Instant expiry = claim.scaledDownSince().orElse(now).plus(set.grace().duration().orElse(Duration.ZERO));
                revisit = revisit.filter(at -> at.isBefore(expiry)).or(() -> Optional.of(expiry));
            } else if (action instanceof StartGrace start) {
                Instant expiry = start.since().plus(set.grace().duration().orElse(Duration.ZERO));
                revisit = revisit.filter(at -> at.isBefore(expiry)).or(() -> Optional.of(expiry));
            }
        }
        return new RetentionPlan(set, actions, revisit, SnapshotGate.setFinalizer(set, actions));
    }

    private static ClaimAction live(StatefulSetState set, ClaimState claim, Instant now) {
        OrdinalClaim id = claim.claim();
        if (claim.deleting()) {
            return new Keep(claim, Rule.CLAIM_DELETING);
        }
        if (hasForeignController(set, claim)) {
            return new LeaveAlone(claim, Rule.FOREIGN_CONTROLLER);
        }
        if (hasStaleOwner(set, claim)) {
            return new LeaveAlone(claim, Rule.STALE_OWNER);
        }
        if (id.ordinal() < set.startOrdinal()) {
            return new Keep(claim, Rule.BELOW_START);
        }
        RetentionPolicy policy = set.policy();
        boolean condemned = id.ordinal() >= set.end() && policy.deleteWhenScaled();
        if (!condemned) {
            if (claim.scaledDownSince().isPresent()) {
                return new CancelGrace(claim, Rule.GRACE_CANCELLED);
            }
            return owners(claim, inRangeRefs(set), policy.deleteWhenDeleted() ? Rule.WHEN_DELETED_DELETE : Rule.RETAIN);
        }
        ScaleDownGrace grace = set.grace();
        // With whenScaled=Delete in the spec, Kubernetes' StatefulSet controller hands the claim to the garbage
        // collector at scale-down (its Pod reference), whatever the annotation says: no grace period is started
        // that could not be kept. The same reference is computed below, so neither controller undoes the other.
        boolean graceApplies = !set.builtInDeletesScaledDown();
        if (graceApplies && grace.isInvalid()) {
            return new Keep(claim, Rule.GRACE_INVALID);
        }
        Duration period = graceApplies ? grace.duration().orElse(Duration.ZERO) : Duration.ZERO;
        if (!period.isZero()) {
            if (claim.scaledDownSince().isEmpty()) {
                return new StartGrace(claim, Rule.GRACE_STARTED, now);
            }
            if (now.isBefore(claim.scaledDownSince().get().plus(period))) {
                // Kept as if in range. A Pod reference someone else set already (the built-in controller) stays,
                // and no StatefulSet reference is added beside it: a claim has at most one controller.
                if (ours(claim).stream().anyMatch(ref -> ref.kind().equals(OwnerRef.POD))) {
                    return new Keep(claim, Rule.GRACE_RUNNING);
                }
                ClaimAction action = owners(claim, inRangeRefs(set), Rule.GRACE_RUNNING);
                return action instanceof Keep ? new Keep(claim, Rule.GRACE_RUNNING) : action;
            }
        }
        String podUid = set.podUids().get(id.ordinal());
        if (podUid == null) {
            return new Delete(claim, Rule.SCALED_DOWN_POD_GONE);
        }
        if (set.builtInRemovesPodReferences()) {
            return new Keep(claim, Rule.SCALED_DOWN_WAITS_FOR_POD);
        }
        return owners(claim, List.of(OwnerRef.toPod(id.podName(), podUid)), Rule.WHEN_SCALED_DELETE);
    }

    private static ClaimAction afterDeletion(StatefulSetState set, ClaimState claim) {
        if (claim.deleting()) {
            return new Keep(claim, Rule.CLAIM_DELETING);
        }
        String podName = claim.claim().podName();
        boolean setOwned = false;
        for (OwnerRef ref : claim.owners()) {
            if (ref.names(OwnerRef.STATEFUL_SET, set.name())) {
                setOwned = true;
            } else if (ref.names(OwnerRef.POD, podName) && !ref.uid().equals(set.podUids().get(claim.claim().ordinal()))) {
                setOwned = true;
            } else {
                // The garbage collector deletes a dependent only when all its owners are gone.
                return new Keep(claim, Rule.SET_GONE_KEPT);
            }
        }
        return setOwned ? new Delete(claim, Rule.SET_GONE) : new Keep(claim, Rule.SET_GONE_KEPT);
    }

    /** The references of ours a claim in range has: the StatefulSet's under whenDeleted=Delete, else none. */
    private static List<OwnerRef> inRangeRefs(StatefulSetState set) {
        return set.policy().deleteWhenDeleted() ? List.of(OwnerRef.toStatefulSet(set.name(), set.uid())) : List.of();
    }

    /** Keep, or the owner list with our references replaced by {@code desired} and every other one unchanged. */
    private static ClaimAction owners(ClaimState claim, List<OwnerRef> desired, Rule rule) {
        List<OwnerRef> current = claim.owners();
        List<OwnerRef> kept = new ArrayList<>();
        Set<OwnerRef> ours = new HashSet<>();
        for (OwnerRef ref : current) {
            if (isOurs(claim.claim(), ref)) {
                ours.add(ref);
            } else {
                kept.add(ref);
            }
        }
        if (ours.equals(new HashSet<>(desired)) && ours.size() == desired.size()) {
            return new Keep(claim, rule);
        }
        kept.addAll(desired);
        return new SetOwners(claim, rule, kept);
    }

    private static boolean isOurs(OrdinalClaim claim, OwnerRef ref) {
        return ref.names(OwnerRef.STATEFUL_SET, claim.statefulSet()) || ref.names(OwnerRef.POD, claim.podName());
    }

    private static List<OwnerRef> ours(ClaimState claim) {
        return claim.owners().stream().filter(ref -> isOurs(claim.claim(), ref)).toList();
    }

    private static boolean hasForeignController(StatefulSetState set, ClaimState claim) {
        return claim.owners().stream().anyMatch(ref -> ref.controller() && !isOurs(claim.claim(), ref));
    }

    private static boolean hasStaleOwner(StatefulSetState set, ClaimState claim) {
        return claim.owners().stream()
                .anyMatch(ref -> ref.names(OwnerRef.STATEFUL_SET, set.name()) && !ref.uid().equals(set.uid()));
    }
}
