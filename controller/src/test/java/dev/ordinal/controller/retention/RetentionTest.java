package dev.ordinal.controller.retention;

import dev.ordinal.controller.model.OrdinalClaim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.controller.retention.ClaimAction.CancelGrace;
import dev.ordinal.controller.retention.ClaimAction.Delete;
import dev.ordinal.controller.retention.ClaimAction.Keep;
import dev.ordinal.controller.retention.ClaimAction.LeaveAlone;
import dev.ordinal.controller.retention.ClaimAction.SetOwners;
import dev.ordinal.controller.retention.ClaimAction.StartGrace;
import dev.ordinal.controller.retention.StatefulSetState.Lifecycle;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The retention plan as a table: each row is named by the rule it checks. */
class RetentionTest {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final String SET_UID = "set-uid";
    private static final OwnerRef SET_REF = OwnerRef.toStatefulSet("web", SET_UID);
    private static final OwnerRef FOREIGN = new OwnerRef("example.com/v1", "Database", "db", "db-uid", true);
    private static final OwnerRef USER_REF = new OwnerRef("v1", "ConfigMap", "note", "cm-uid", false);

    private static RetentionPolicy policy(String whenDeleted, String whenScaled) {
        return RetentionPolicy.of(whenDeleted, whenScaled);
    }

    /** web with 2 replicas; pods 0..4 exist unless the row says otherwise. */
    private static StatefulSetState set(RetentionPolicy policy, ScaleDownGrace grace, int... missingPods) {
        Map<Integer, String> pods = new HashMap<>();
        for (int i = 0; i < 5; i++) {
            pods.put(i, "pod-uid-" + i);
        }
        for (int missing : missingPods) {
            pods.remove(missing);
        }
        return new StatefulSetState("ns", "web", Lifecycle.LIVE, SET_UID, 2, 0, policy, grace, pods);
    }

    private static ClaimState claim(int ordinal, OwnerRef... owners) {
        return claim(ordinal, Optional.empty(), owners);
    }

    private static ClaimState claim(int ordinal, Optional<Instant> since, OwnerRef... owners) {
        return new ClaimState(OrdinalClaim.of("ns", "web", "data", ordinal), "claim-uid-" + ordinal, "1",
                List.of(owners), since, false);
    }

    private static OwnerRef pod(int ordinal) {
        return OwnerRef.toPod("web-" + ordinal, "pod-uid-" + ordinal);
    }

    private static Stream<Arguments> rules() {
        RetentionPolicy retainRetain = policy("Retain", "Retain");
        RetentionPolicy deleteRetain = policy("Delete", "Retain");
        RetentionPolicy retainDelete = policy("Retain", "Delete");
        RetentionPolicy deleteDelete = policy("Delete", "Delete");
        ScaleDownGrace none = ScaleDownGrace.NONE;
        ScaleDownGrace tenMinutes = ScaleDownGrace.of(Duration.ofMinutes(10));
        return Stream.of(
                row("RETAIN: Retain/Retain leaves an in-range claim without references",
                        set(retainRetain, none), claim(0), new Keep(claim(0), Rule.RETAIN)),
                row("RETAIN: Retain/Retain keeps a scaled-down claim",
                        set(retainRetain, none), claim(3), new Keep(claim(3), Rule.RETAIN)),
                row("RETAIN: a policy changed back to Retain removes our StatefulSet reference, keeps others",
                        set(retainRetain, none), claim(0, USER_REF, SET_REF),
                        new SetOwners(claim(0, USER_REF, SET_REF), Rule.RETAIN, List.of(USER_REF))),
                row("RETAIN: a policy changed back to Retain removes a scaled-down claim's Pod reference",
                        set(retainRetain, none), claim(3, pod(3)), new SetOwners(claim(3, pod(3)), Rule.RETAIN, List.of())),
                row("WHEN_DELETED_DELETE: the StatefulSet becomes the controller of an in-range claim",
                        set(deleteRetain, none), claim(1), new SetOwners(claim(1), Rule.WHEN_DELETED_DELETE, List.of(SET_REF))),
                row("WHEN_DELETED_DELETE: ... and of a scaled-down claim under whenScaled=Retain",
                        set(deleteRetain, none), claim(4), new SetOwners(claim(4), Rule.WHEN_DELETED_DELETE, List.of(SET_REF))),
                row("WHEN_DELETED_DELETE: a claim with the reference already is kept",
                        set(deleteRetain, none), claim(1, SET_REF), new Keep(claim(1, SET_REF), Rule.WHEN_DELETED_DELETE)),
                row("WHEN_DELETED_DELETE: a non-controller reference is made a controller reference",
                        set(deleteRetain, none), claim(1, new OwnerRef("apps/v1", "StatefulSet", "web", SET_UID, false)),
                        new SetOwners(claim(1, new OwnerRef("apps/v1", "StatefulSet", "web", SET_UID, false)),
                                Rule.WHEN_DELETED_DELETE, List.of(SET_REF))),
                row("WHEN_SCALED_DELETE: a scaled-down claim is controlled by its Pod",
                        set(retainDelete, none), claim(3), new SetOwners(claim(3), Rule.WHEN_SCALED_DELETE, List.of(pod(3)))),
                row("WHEN_SCALED_DELETE: Delete/Delete moves a scaled-down claim from the StatefulSet to its Pod",
                        set(deleteDelete, none), claim(3, SET_REF),
                        new SetOwners(claim(3, SET_REF), Rule.WHEN_SCALED_DELETE, List.of(pod(3)))),
                row("WHEN_SCALED_DELETE: an in-range claim under Retain/Delete has no reference",
                        set(retainDelete, none), claim(1), new Keep(claim(1), Rule.RETAIN)),
                row("WHEN_SCALED_DELETE: a claim back in range loses its Pod reference (Delete/Delete: gets the set's)",
                        set(deleteDelete, none), claim(1, pod(1)),
                        new SetOwners(claim(1, pod(1)), Rule.WHEN_DELETED_DELETE, List.of(SET_REF))),
                row("WHEN_SCALED_DELETE: a scaled-down claim owned by its live Pod waits for the Pod to go",
                        set(retainDelete, none), claim(3, pod(3)), new Keep(claim(3, pod(3)), Rule.WHEN_SCALED_DELETE)),
                row("SCALED_DOWN_POD_GONE: a scaled-down claim whose Pod is gone is deleted",
                        set(retainDelete, none, 3), claim(3, pod(3)), new Delete(claim(3, pod(3)), Rule.SCALED_DOWN_POD_GONE)),
                row("SCALED_DOWN_POD_GONE: ... also when the Pod went before the reference was set",
                        set(deleteDelete, none, 4), claim(4, SET_REF), new Delete(claim(4, SET_REF), Rule.SCALED_DOWN_POD_GONE)),
                row("never deleted below replicas: an in-range claim whose Pod is missing is kept",
                        set(deleteDelete, none, 1), claim(1, SET_REF), new Keep(claim(1, SET_REF), Rule.WHEN_DELETED_DELETE)),
                row("FOREIGN_CONTROLLER: a claim controlled by something else is left alone, even scaled down",
                        set(deleteDelete, none, 3), claim(3, FOREIGN), new LeaveAlone(claim(3, FOREIGN), Rule.FOREIGN_CONTROLLER)),
                row("FOREIGN_CONTROLLER: ... and gets no StatefulSet reference in range",
                        set(deleteRetain, none), claim(0, FOREIGN), new LeaveAlone(claim(0, FOREIGN), Rule.FOREIGN_CONTROLLER)),
                row("STALE_OWNER: a reference to an earlier StatefulSet of the same name is not touched",
                        set(deleteDelete, none, 3), claim(3, OwnerRef.toStatefulSet("web", "old-uid")),
                        new LeaveAlone(claim(3, OwnerRef.toStatefulSet("web", "old-uid")), Rule.STALE_OWNER)),
                row("GRACE_STARTED: a scaled-down claim under a grace period is marked, not touched otherwise",
                        set(retainDelete, tenMinutes, 3), claim(3), new StartGrace(claim(3), Rule.GRACE_STARTED, NOW)),
                row("GRACE_RUNNING: within the grace period a scaled-down claim is kept as if in range",
                        set(deleteDelete, tenMinutes, 3), claim(3, Optional.of(NOW.minusSeconds(60)), SET_REF),
                        new Keep(claim(3, Optional.of(NOW.minusSeconds(60)), SET_REF), Rule.GRACE_RUNNING)),
                row("GRACE_RUNNING: a Pod reference the built-in controller set is not removed",
                        set(deleteDelete, tenMinutes), claim(3, Optional.of(NOW.minusSeconds(60)), pod(3)),
                        new Keep(claim(3, Optional.of(NOW.minusSeconds(60)), pod(3)), Rule.GRACE_RUNNING)),
                row("GRACE expired: the scaled-down claim whose Pod is gone is deleted",
                        set(retainDelete, tenMinutes, 3), claim(3, Optional.of(NOW.minusSeconds(601))),
                        new Delete(claim(3, Optional.of(NOW.minusSeconds(601))), Rule.SCALED_DOWN_POD_GONE)),
                row("GRACE_CANCELLED: a claim back in range within the grace period is unmarked",
                        set(retainDelete, tenMinutes), claim(1, Optional.of(NOW.minusSeconds(60))),
                        new CancelGrace(claim(1, Optional.of(NOW.minusSeconds(60))), Rule.GRACE_CANCELLED)),
                row("GRACE_CANCELLED: a policy changed to Retain unmarks a scaled-down claim",
                        set(retainRetain, tenMinutes), claim(3, Optional.of(NOW.minusSeconds(60))),
                        new CancelGrace(claim(3, Optional.of(NOW.minusSeconds(60))), Rule.GRACE_CANCELLED)),
                row("GRACE_INVALID: an unreadable grace annotation deletes nothing",
                        set(retainDelete, ScaleDownGrace.parse("ten minutes"), 3), claim(3),
                        new Keep(claim(3), Rule.GRACE_INVALID)),
                // Kubernetes' StatefulSet controller applies the spec's policy (the field the API server keeps):
                row("WHEN_SCALED_DELETE: with whenScaled=Delete in the applied spec no grace is started: the claim goes to its Pod",
                        set(retainDelete, tenMinutes).withSpecPolicy(retainDelete), claim(3),
                        new SetOwners(claim(3), Rule.WHEN_SCALED_DELETE, List.of(pod(3)))),
                row("WHEN_SCALED_DELETE: ... nor held by an unreadable grace, which could not hold it",
                        set(retainDelete, ScaleDownGrace.parse("ten minutes")).withSpecPolicy(retainDelete),
                        claim(3, pod(3)), new Keep(claim(3, pod(3)), Rule.WHEN_SCALED_DELETE)),
                row("SCALED_DOWN_WAITS_FOR_POD: whenScaled=Delete by annotation over an applied Retain sets no Pod reference",
                        set(retainDelete, none).withSpecPolicy(retainRetain), claim(3),
                        new Keep(claim(3), Rule.SCALED_DOWN_WAITS_FOR_POD)),
                row("SCALED_DOWN_POD_GONE: ... and deletes the claim once its Pod is gone",
                        set(retainDelete, none, 3).withSpecPolicy(retainRetain), claim(3),
                        new Delete(claim(3), Rule.SCALED_DOWN_POD_GONE)),
                row("GRACE_STARTED: by annotation over an applied Retain the grace period holds the claim",
                        set(retainDelete, tenMinutes, 3).withSpecPolicy(retainRetain), claim(3),
                        new StartGrace(claim(3), Rule.GRACE_STARTED, NOW)),
                row("GRACE_RUNNING: ... and keeps it (Delete/Delete with whenDeleted=Delete applied: the set's reference)",
                        set(deleteDelete, tenMinutes, 3).withSpecPolicy(deleteRetain),
                        claim(3, Optional.of(NOW.minusSeconds(60)), SET_REF),
                        new Keep(claim(3, Optional.of(NOW.minusSeconds(60)), SET_REF), Rule.GRACE_RUNNING)));
    }

    private static Arguments row(String name, StatefulSetState set, ClaimState claim, ClaimAction expected) {
        return Arguments.of(name, set, claim, expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rules")
    void rule(String name, StatefulSetState set, ClaimState claim, ClaimAction expected) {
        RetentionPlan plan = Retention.plan(set, List.of(claim), NOW);
        assertEquals(List.of(expected), plan.actions(), name);
    }

    @Test
    void setDeletingKeepsEverything() {
        StatefulSetState deleting = new StatefulSetState("ns", "web", Lifecycle.DELETING, SET_UID, 2, 0,
                policy("Delete", "Delete"), ScaleDownGrace.NONE, Map.of());
        RetentionPlan plan = Retention.plan(deleting, List.of(claim(0, SET_REF), claim(3, pod(3))), NOW);
        assertTrue(plan.changes().isEmpty());
        assertTrue(plan.actions().stream().allMatch(a -> a.rule() == Rule.SET_DELETING));
    }

    @Test
    void setGoneDeletesClaimsItControlledAndKeepsOrphanedOrSharedOnes() {
        StatefulSetState gone = StatefulSetState.gone("ns", "web", Map.of());
        ClaimState owned = claim(0, SET_REF);
        ClaimState orphaned = claim(1);
        ClaimState shared = claim(2, SET_REF, USER_REF);
        ClaimState podOwned = claim(3, pod(3));
        RetentionPlan plan = Retention.plan(gone, List.of(owned, orphaned, shared, podOwned), NOW);
        assertEquals(List.of(new Delete(owned, Rule.SET_GONE), new Keep(orphaned, Rule.SET_GONE_KEPT),
                new Keep(shared, Rule.SET_GONE_KEPT), new Delete(podOwned, Rule.SET_GONE)), plan.actions());
    }

    @Test
    void nothingBelowReplicasIsEverDeleted() {
        for (String whenDeleted : List.of("Retain", "Delete")) {
            for (String whenScaled : List.of("Retain", "Delete")) {
                for (int replicas = 0; replicas <= 5; replicas++) {
                    List<ClaimState> claims = new ArrayList<>();
                    for (int ordinal = 0; ordinal < 6; ordinal++) {
                        claims.add(claim(ordinal, Optional.of(NOW.minusSeconds(3600)), SET_REF));
                    }
                    StatefulSetState set = new StatefulSetState("ns", "web", Lifecycle.LIVE, SET_UID, replicas, 0,
                            policy(whenDeleted, whenScaled), ScaleDownGrace.of(Duration.ofSeconds(1)), Map.of());
                    for (ClaimAction action : Retention.plan(set, claims, NOW).actions()) {
                        if (action instanceof Delete) {
                            assertTrue(action.claim().ordinal() >= replicas, action.toString());
                        }
                    }
                }
            }
        }
    }

    @Test
    void revisitAtTheEarliestGraceExpiry() {
        StatefulSetState set = set(policy("Retain", "Delete"), ScaleDownGrace.of(Duration.ofMinutes(10)), 3, 4);
        RetentionPlan plan = Retention.plan(set,
                List.of(claim(3, Optional.of(NOW.minusSeconds(120))), claim(4, Optional.of(NOW.minusSeconds(60)))), NOW);
        assertEquals(Optional.of(NOW.plusSeconds(480)), plan.revisitAt());
    }

    @Test
    void graceAnnotationReadsGoAndIsoDurations() {
        assertEquals(Optional.of(Duration.ofMinutes(10)), ScaleDownGrace.parse("10m").duration());
        assertEquals(Optional.of(Duration.ofMinutes(90)), ScaleDownGrace.parse("1h30m").duration());
        assertEquals(Optional.of(Duration.ofMillis(1500)), ScaleDownGrace.parse("1500ms").duration());
        assertEquals(Optional.of(Duration.ofSeconds(2)), ScaleDownGrace.parse("PT2S").duration());
        assertTrue(ScaleDownGrace.parse("10 minutes").isInvalid());
        assertTrue(ScaleDownGrace.parse("m10").isInvalid());
        assertFalse(ScaleDownGrace.parse("").isInvalid());
    }

    @Test
    void claimNamesMatchTheirTemplateAndStatefulSet() {
        assertEquals(Optional.of(OrdinalClaim.of("ns", "web", "data", 12)), OrdinalClaim.match("ns", "web", "data", "data-web-12"));
        assertEquals(Optional.empty(), OrdinalClaim.match("ns", "web", "data", "data-web-x"));
        assertEquals(Optional.empty(), OrdinalClaim.match("ns", "web", "data", "data-web-01"));
        assertEquals(Optional.empty(), OrdinalClaim.match("ns", "web", "data", "logs-web-1"));
        assertInstanceOf(OrdinalClaim.class, OrdinalClaim.match("ns", "my-web", "data", "data-my-web-0").orElseThrow());
    }
}
