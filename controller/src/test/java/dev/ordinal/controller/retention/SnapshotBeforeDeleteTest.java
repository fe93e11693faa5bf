package dev.ordinal.controller.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.contract.Annotations;
import dev.ordinal.controller.model.OrdinalClaim;
import dev.ordinal.controller.retention.ClaimAction.AddSnapshotFinalizer;
import dev.ordinal.controller.retention.ClaimAction.AwaitSnapshot;
import dev.ordinal.controller.retention.ClaimAction.Delete;
import dev.ordinal.controller.retention.ClaimAction.Keep;
import dev.ordinal.controller.retention.ClaimAction.RemoveSnapshotFinalizer;
import dev.ordinal.controller.retention.ClaimAction.RequestSnapshot;
import dev.ordinal.controller.retention.ClaimAction.SetOwners;
import dev.ordinal.controller.retention.RetentionPlan.SetFinalizer;
import dev.ordinal.controller.retention.StatefulSetState.Lifecycle;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * Snapshot-before-delete as a plan: what happens to a claim of a StatefulSet with
 * {@code ordinal.csi.dev/snapshot-before-delete}, decided only from the set, the claim and its snapshot's state.
 */
class SnapshotBeforeDeleteTest {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final String SET_UID = "set-uid";
    private static final OwnerRef SET_REF = OwnerRef.toStatefulSet("web", SET_UID);
    private static final String FINALIZER = Annotations.SNAPSHOT_BEFORE_DELETE;
    private static final SnapshotBeforeDelete FAST = SnapshotBeforeDelete.parse("fast-snapshots");

    /** web with 2 replicas, Delete/Delete, the annotation as given, pods 0..4 unless missing. */
    private static StatefulSetState set(Lifecycle lifecycle, SnapshotBeforeDelete snapshots, Set<String> finalizers,
            int... missingPods) {
        Map<Integer, String> pods = new HashMap<>();
        for (int i = 0; i < 5; i++) {
            pods.put(i, "pod-uid-" + i);
        }
        for (int missing : missingPods) {
            pods.remove(missing);
        }
        return new StatefulSetState("ns", "web", lifecycle, SET_UID, 2, 0, RetentionPolicy.of("Delete", "Delete"),
                ScaleDownGrace.NONE, pods, snapshots, finalizers);
    }

    private static StatefulSetState live(int... missingPods) {
        return set(Lifecycle.LIVE, FAST, Set.of(FINALIZER), missingPods);
    }

    private static ClaimState claim(int ordinal, boolean finalizer, ClaimSnapshot.Phase phase, OwnerRef... owners) {
        return claim(ordinal, false, finalizer, phase, owners);
    }

    private static ClaimState claim(int ordinal, boolean deleting, boolean finalizer, ClaimSnapshot.Phase phase,
            OwnerRef... owners) {
        String name = "data-web-" + ordinal + "-1a2b3c4d5e";
        ClaimSnapshot snapshot = switch (phase) {
            case NONE -> ClaimSnapshot.none(name);
            case PENDING -> ClaimSnapshot.pending(name);
            case READY -> ClaimSnapshot.ready(name);
            case FAILED -> ClaimSnapshot.failed(name, "Failed to create snapshot: no space on disk d1");
        };
        return new ClaimState(OrdinalClaim.of("ns", "web", "data", ordinal), "claim-uid-" + ordinal, "7",
                List.of(owners), Optional.empty(), deleting, finalizer, snapshot);
    }

    private static OwnerRef pod(int ordinal) {
        return OwnerRef.toPod("web-" + ordinal, "pod-uid-" + ordinal);
    }

    private static ClaimAction only(StatefulSetState set, ClaimState claim) {
        return Retention.plan(set, List.of(claim), NOW).actions().getFirst();
    }

    @Test
    void annotationNamesTheClassOrTheDefault() {
        assertEquals(SnapshotBeforeDelete.DEFAULT_CLASS, SnapshotBeforeDelete.parse("true"));
        assertEquals(SnapshotBeforeDelete.DEFAULT_CLASS, SnapshotBeforeDelete.parse(" True "));
        assertEquals(Optional.of("fast-snapshots"), FAST.className());
        assertTrue(FAST.enabled());
        assertEquals(SnapshotBeforeDelete.OFF, SnapshotBeforeDelete.parse("false"));
        assertEquals(SnapshotBeforeDelete.OFF, SnapshotBeforeDelete.parse(""));
        assertEquals(SnapshotBeforeDelete.OFF, SnapshotBeforeDelete.parse(null));
        assertTrue(SnapshotBeforeDelete.parse("Fast_Snapshots").isInvalid());
        assertFalse(SnapshotBeforeDelete.parse("Fast_Snapshots").enabled());
    }

    @Test
    void everyClaimOfTheSetGetsTheFinalizerAndTheSetIsHeld() {
        StatefulSetState set = set(Lifecycle.LIVE, FAST, Set.of());
        ClaimState inRange = claim(0, false, ClaimSnapshot.Phase.NONE, SET_REF);
        ClaimState scaledDown = claim(3, false, ClaimSnapshot.Phase.NONE, SET_REF);
        RetentionPlan plan = Retention.plan(set, List.of(inRange, scaledDown), NOW);
        assertEquals(List.of(new AddSnapshotFinalizer(inRange, Rule.SNAPSHOT_FINALIZER),
                new AddSnapshotFinalizer(scaledDown, Rule.SNAPSHOT_FINALIZER)), plan.actions());
        assertEquals(Optional.of(new SetFinalizer(true, Rule.SNAPSHOT_FINALIZER)), plan.setFinalizer());
    }

    @Test
    void aScaledDownClaimWhosePodIsGoneIsSnapshottedThenDeletedWhenReady() {
        StatefulSetState set = live(3);
        ClaimState none = claim(3, true, ClaimSnapshot.Phase.NONE, SET_REF);
        assertEquals(new RequestSnapshot(none, Rule.SNAPSHOT_BEFORE_DELETE, "data-web-3-1a2b3c4d5e",
                Optional.of("fast-snapshots")), only(set, none));

        ClaimState pending = claim(3, true, ClaimSnapshot.Phase.PENDING, SET_REF);
        RetentionPlan waiting = Retention.plan(set, List.of(pending), NOW);
        assertEquals(new AwaitSnapshot(pending, Rule.SNAPSHOT_PENDING, pending.snapshot()), waiting.actions().getFirst());
        assertTrue(waiting.changes().isEmpty(), "waiting changes nothing");
        assertTrue(waiting.revisitAt().isPresent(), "looked at again even without a snapshot event");

        ClaimState ready = claim(3, true, ClaimSnapshot.Phase.READY, SET_REF);
        assertEquals(new Delete(ready, Rule.SCALED_DOWN_POD_GONE), only(set, ready));
    }

    @Test
    void aFailedSnapshotKeepsTheClaimAndIsReported() {
        ClaimState failed = claim(3, true, ClaimSnapshot.Phase.FAILED, SET_REF);
        RetentionPlan plan = Retention.plan(live(3), List.of(failed), NOW);
        assertEquals(new AwaitSnapshot(failed, Rule.SNAPSHOT_FAILED, failed.snapshot()), plan.actions().getFirst());
        assertEquals(1, plan.changes().size(), "the failure is reported");
        assertEquals(Optional.of(NOW.plusSeconds(30)), plan.revisitAt());
    }

    @Test
    void aScaledDownClaimIsNotHandedToTheGarbageCollectorWhileItsPodRuns() {
        ClaimState claim = claim(3, true, ClaimSnapshot.Phase.NONE, SET_REF);
        assertEquals(new Keep(claim, Rule.SNAPSHOT_WAITS_FOR_POD), only(live(), claim));
        // Without the annotation the same claim would get its Pod as controller (and go with the Pod).
        ClaimState plain = claim(3, false, ClaimSnapshot.Phase.NONE, SET_REF);
        assertEquals(new SetOwners(plain, Rule.WHEN_SCALED_DELETE, List.of(pod(3))),
                only(set(Lifecycle.LIVE, SnapshotBeforeDelete.OFF, Set.of()), plain));
    }

    @Test
    void aClaimTheStatefulSetControllerHandedToItsPodIsSnapshottedAtOnce() {
        ClaimState claim = claim(3, true, ClaimSnapshot.Phase.NONE, pod(3));
        assertEquals(new RequestSnapshot(claim, Rule.SNAPSHOT_BEFORE_GC, "data-web-3-1a2b3c4d5e",
                Optional.of("fast-snapshots")), only(live(), claim));
    }

    @Test
    void aClaimTheStatefulSetControllerWillHandToItsPodIsSnapshottedBeforeTheReferenceIsSeen() {
        // whenScaled=Delete in the spec Kubernetes' StatefulSet controller applies: its Pod reference is coming.
        StatefulSetState set = live().withSpecPolicy(RetentionPolicy.of("Delete", "Delete"));
        ClaimState none = claim(3, true, ClaimSnapshot.Phase.NONE, SET_REF);
        assertEquals(new RequestSnapshot(none, Rule.SNAPSHOT_BEFORE_GC, "data-web-3-1a2b3c4d5e",
                Optional.of("fast-snapshots")), only(set, none));
        ClaimState ready = claim(3, true, ClaimSnapshot.Phase.READY, SET_REF);
        assertEquals(new SetOwners(ready, Rule.WHEN_SCALED_DELETE, List.of(pod(3))), only(set, ready),
                "once ready, the same reference as the StatefulSet controller's");
        ClaimState inRange = claim(1, true, ClaimSnapshot.Phase.NONE, SET_REF);
        assertEquals(new Keep(inRange, Rule.WHEN_DELETED_DELETE), only(set, inRange));
    }

    @Test
    void inRangeClaimsAreNeverSnapshottedOrDeletedWhileTheyLive() {
        for (ClaimSnapshot.Phase phase : ClaimSnapshot.Phase.values()) {
            ClaimState claim = claim(1, true, phase, SET_REF);
            assertEquals(new Keep(claim, Rule.WHEN_DELETED_DELETE), only(live(1), claim));
        }
    }

    @Test
    void aClaimSomeoneDeletedIsHeldUntilItsSnapshotIsReady() {
        ClaimState none = claim(0, true, true, ClaimSnapshot.Phase.NONE, SET_REF);
        assertEquals(new RequestSnapshot(none, Rule.SNAPSHOT_CLAIM_DELETED, "data-web-0-1a2b3c4d5e",
                Optional.of("fast-snapshots")), only(live(), none));
        ClaimState ready = claim(0, true, true, ClaimSnapshot.Phase.READY, SET_REF);
        assertEquals(new RemoveSnapshotFinalizer(ready, Rule.SNAPSHOT_READY), only(live(), ready));
        ClaimState notOurs = claim(0, true, false, ClaimSnapshot.Phase.NONE, SET_REF);
        assertEquals(new Keep(notOurs, Rule.CLAIM_DELETING), only(live(), notOurs));
    }

    @Test
    void turningTheAnnotationOffRemovesTheFinalizers() {
        StatefulSetState off = set(Lifecycle.LIVE, SnapshotBeforeDelete.OFF, Set.of(FINALIZER), 3);
        ClaimState claim = claim(3, true, ClaimSnapshot.Phase.PENDING, SET_REF);
        RetentionPlan plan = Retention.plan(off, List.of(claim), NOW);
        assertEquals(List.of(new RemoveSnapshotFinalizer(claim, Rule.SNAPSHOT_OFF)), plan.actions());
        assertEquals(Optional.of(new SetFinalizer(false, Rule.SNAPSHOT_OFF)), plan.setFinalizer());
    }

    @Test
    void anUnreadableAnnotationDeletesNothing() {
        StatefulSetState invalid = set(Lifecycle.LIVE, SnapshotBeforeDelete.parse("Fast_Snapshots"), Set.of(FINALIZER), 3);
        ClaimState gone = claim(3, true, ClaimSnapshot.Phase.NONE, SET_REF);
        ClaimState running = claim(4, true, ClaimSnapshot.Phase.NONE, SET_REF);
        RetentionPlan plan = Retention.plan(invalid, List.of(gone, running), NOW);
        assertEquals(List.of(new Keep(gone, Rule.SNAPSHOT_INVALID), new Keep(running, Rule.SNAPSHOT_INVALID)),
                plan.actions());
        assertEquals(Optional.empty(), plan.setFinalizer(), "the set stays held");
    }

    @Test
    void aDeletedStatefulSetIsHeldUntilTheClaimsGoingWithItAreSnapshotted() {
        StatefulSetState deleting = set(Lifecycle.DELETING, FAST, Set.of(FINALIZER));
        ClaimState owned = claim(0, true, ClaimSnapshot.Phase.NONE, SET_REF);
        ClaimState survivor = claim(1, true, ClaimSnapshot.Phase.NONE);
        RetentionPlan first = Retention.plan(deleting, List.of(owned, survivor), NOW);
        assertEquals(List.of(new RequestSnapshot(owned, Rule.SNAPSHOT_BEFORE_DELETE, "data-web-0-1a2b3c4d5e",
                Optional.of("fast-snapshots")), new RemoveSnapshotFinalizer(survivor, Rule.SNAPSHOT_NOT_NEEDED)),
                first.actions());
        assertEquals(Optional.empty(), first.setFinalizer());

        ClaimState ready = claim(0, true, ClaimSnapshot.Phase.READY, SET_REF);
        ClaimState released = claim(1, false, ClaimSnapshot.Phase.NONE);
        RetentionPlan last = Retention.plan(deleting, List.of(ready, released), NOW);
        assertTrue(last.changes().isEmpty());
        assertEquals(Optional.of(new SetFinalizer(false, Rule.SNAPSHOT_READY)), last.setFinalizer());
    }

    @Test
    void anOrphaningDeleteSnapshotsNothingAndWaitsForTheCollector() {
        StatefulSetState orphaning = set(Lifecycle.DELETING, FAST, Set.of(FINALIZER, "orphan"));
        ClaimState owned = claim(0, true, ClaimSnapshot.Phase.NONE, SET_REF);
        RetentionPlan plan = Retention.plan(orphaning, List.of(owned), NOW);
        assertEquals(List.of(new Keep(owned, Rule.SET_DELETING)), plan.actions());
        assertEquals(Optional.empty(), plan.setFinalizer());
    }

    @Test
    void afterTheStatefulSetIsGoneTheFinalizerStillAsksForASnapshot() {
        StatefulSetState gone = StatefulSetState.gone("ns", "web", Map.of());
        ClaimState none = claim(0, true, ClaimSnapshot.Phase.NONE, SET_REF);
        assertEquals(new RequestSnapshot(none, Rule.SNAPSHOT_BEFORE_DELETE, "data-web-0-1a2b3c4d5e", Optional.empty()),
                only(gone, none));
        ClaimState ready = claim(0, true, ClaimSnapshot.Phase.READY, SET_REF);
        assertEquals(new Delete(ready, Rule.SET_GONE), only(gone, ready));
        ClaimState kept = claim(1, true, ClaimSnapshot.Phase.NONE);
        assertEquals(new RemoveSnapshotFinalizer(kept, Rule.SNAPSHOT_NOT_NEEDED), only(gone, kept));
    }

    /**
     * Whatever the replicas, pods, owners, finalizers and snapshot states: a live set never deletes a claim below
     * start + replicas, and with the annotation on it deletes (or releases) a claim only once its snapshot is ready.
     */
    @Property(tries = 2000)
    void nothingGoesWithoutAReadySnapshotAndNothingInRangeGoesAtAll(@ForAll("sets") StatefulSetState set,
            @ForAll("claims") List<ClaimState> claims) {
        for (ClaimAction action : Retention.plan(set, claims, NOW).actions()) {
            boolean letsGo = action instanceof Delete || action instanceof RemoveSnapshotFinalizer r && r.rule() == Rule.SNAPSHOT_READY;
            if (action instanceof Delete) {
                assertTrue(action.claim().ordinal() >= set.end(), action.toString());
            }
            if (letsGo && set.snapshots().enabled()) {
                assertEquals(ClaimSnapshot.Phase.READY, action.state().snapshot().phase(), action.toString());
            }
            if (action instanceof SetOwners owners && set.snapshots().enabled()) {
                assertTrue(owners.owners().stream().noneMatch(ref -> ref.kind().equals(OwnerRef.POD)
                        && !action.state().owners().contains(ref)), "no Pod reference handed out: " + action);
            }
        }
    }

    @Provide
    Arbitrary<StatefulSetState> sets() {
        Arbitrary<Integer> replicas = Arbitraries.integers().between(0, 6);
        Arbitrary<Set<Integer>> pods = Arbitraries.integers().between(0, 7).set();
        Arbitrary<RetentionPolicy> policies = Arbitraries.of("Retain", "Delete").tuple2()
                .map(t -> RetentionPolicy.of(t.get1(), t.get2()));
        Arbitrary<SnapshotBeforeDelete> snapshots = Arbitraries.of(SnapshotBeforeDelete.OFF, SnapshotBeforeDelete.DEFAULT_CLASS,
                FAST, SnapshotBeforeDelete.parse("Not A Name"));
        Arbitrary<Boolean> held = Arbitraries.of(true, false);
        return Combinators.combine(replicas, pods, policies, snapshots, held).as((r, p, policy, s, h) -> {
            Map<Integer, String> uids = new HashMap<>();
            p.forEach(o -> uids.put(o, "pod-uid-" + o));
            return new StatefulSetState("ns", "web", Lifecycle.LIVE, SET_UID, r, 0, policy, ScaleDownGrace.NONE, uids, s,
                    h ? Set.of(FINALIZER) : Set.of());
        });
    }

    @Provide
    Arbitrary<List<ClaimState>> claims() {
        Arbitrary<ClaimState> claim = Combinators.combine(Arbitraries.integers().between(0, 7),
                Arbitraries.of(true, false), Arbitraries.of(true, false), Arbitraries.of(ClaimSnapshot.Phase.class),
                Arbitraries.integers().between(0, 3)).as((ordinal, deleting, finalizer, phase, owners) -> {
                    List<OwnerRef> refs = new ArrayList<>();
                    if ((owners & 1) != 0) {
                        refs.add(SET_REF);
                    }
                    if ((owners & 2) != 0) {
                        refs.add(pod(ordinal));
                    }
                    return claim(ordinal, deleting, finalizer, phase, refs.toArray(OwnerRef[]::new));
                });
        return claim.list().ofMaxSize(8).uniqueElements(c -> c.claim().ordinal());
    }

    @Test
    void theSetIsReleasedOnlyWhenNothingIsLeftToDo() {
        StatefulSetState deleting = set(Lifecycle.DELETING, FAST, new HashSet<>(List.of(FINALIZER)));
        ClaimState pending = claim(0, true, ClaimSnapshot.Phase.PENDING, SET_REF);
        ClaimState failed = claim(1, true, ClaimSnapshot.Phase.FAILED, SET_REF);
        assertEquals(Optional.empty(), Retention.plan(deleting, List.of(pending), NOW).setFinalizer());
        assertEquals(Optional.empty(), Retention.plan(deleting, List.of(failed), NOW).setFinalizer());
    }
}
