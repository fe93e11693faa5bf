package dev.ordinal.controller.grow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.controller.grow.GrowAction.Grow;
import dev.ordinal.controller.grow.GrowAction.Refuse;
import dev.ordinal.controller.grow.RolloutStatus.State;
import dev.ordinal.controller.model.OrdinalClaim;
import dev.ordinal.controller.rebind.Size;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The rollout's rules, one test each: the order, the pace, pause, and every refusal with the reason it gives. */
class VolumeGrowthTest {

    private static final long GI = 1L << 30;
    private static final Size ONE = new Size(GI, "1Gi");
    private static final Size TWO = new Size(2 * GI, "2Gi");
    private static final Size THREE = new Size(3 * GI, "3Gi");
    private static final GrowAsk ASK_TWO = new GrowAsk("data", TWO, GrowAsk.Source.ANNOTATION);

    private static GrowingClaim claim(int ordinal, Size requested, Size capacity) {
        return new GrowingClaim(OrdinalClaim.of("ns", "db", "data", ordinal), requested, capacity, true, false,
                Optional.empty(), true, "ordinal-image", Optional.of("node-" + ordinal + "/d1"), Optional.of(10 * GI));
    }

    private static GrowingClaim old(int ordinal) {
        return claim(ordinal, ONE, ONE);
    }

    @Test
    void theLowestOrdinalNotGrownStartsAloneAndTheOthersWait() {
        VolumeGrowth.Plan plan = VolumeGrowth.plan(ASK_TWO, List.of(old(2), old(0), old(1)), Pace.ONE_AT_A_TIME);
        assertEquals(1, plan.actions().size());
        Grow grow = assertInstanceOf(Grow.class, plan.actions().getFirst());
        assertEquals(0, grow.claim().ordinal());
        assertEquals(TWO, grow.to());
        assertEquals(new RolloutStatus(TWO, 0, 3, List.of(0), State.ROLLING, Optional.empty()), plan.status());
    }

    @Test
    void aClaimAskingTheSizeIsInFlightUntilItHoldsItWithNoResizeLeftOnTheNode() {
        GrowingClaim controllerDone = new GrowingClaim(OrdinalClaim.of("ns", "db", "data", 0), TWO, TWO, true, true,
                Optional.empty(), true, "c", Optional.empty(), Optional.empty());
        VolumeGrowth.Plan plan = VolumeGrowth.plan(ASK_TWO, List.of(controllerDone, old(1)), Pace.ONE_AT_A_TIME);
        assertEquals(List.of(), plan.actions(), "FileSystemResizePending holds ordinal 1 back");
        assertEquals(List.of(0), plan.status().current());

        VolumeGrowth.Plan next = VolumeGrowth.plan(ASK_TWO, List.of(claim(0, TWO, TWO), old(1)), Pace.ONE_AT_A_TIME);
        assertEquals(1, next.status().done());
        assertEquals(1, assertInstanceOf(Grow.class, next.actions().getFirst()).claim().ordinal());
    }

    @Test
    void aFewAtATimeWhenAskedStillInOrdinalOrder() {
        VolumeGrowth.Plan plan = VolumeGrowth.plan(ASK_TWO, List.of(old(0), claim(1, TWO, ONE), old(2), old(3)),
                new Pace(3, false));
        assertEquals(List.of(0, 2), plan.actions().stream().map(a -> a.claim().ordinal()).toList());
        assertEquals(List.of(0, 1, 2), plan.status().current());
    }

    @Test
    void pausedStartsNothingAndSaysSo() {
        VolumeGrowth.Plan plan = VolumeGrowth.plan(ASK_TWO, List.of(claim(0, TWO, TWO), old(1)), new Pace(1, true));
        assertEquals(List.of(), plan.actions());
        assertEquals(State.PAUSED, plan.status().state());
        assertEquals(Optional.of("paused"), plan.status().reason());
    }

    @Test
    void anAnnotationAskingLessThanAClaimAsksIsRefusedAsAShrink() {
        VolumeGrowth.Plan plan = VolumeGrowth.plan(ASK_TWO, List.of(claim(0, TWO, TWO), claim(1, THREE, THREE), old(2)),
                Pace.ONE_AT_A_TIME);
        Refuse refuse = assertInstanceOf(Refuse.class, plan.actions().getFirst());
        assertEquals(1, plan.actions().size(), "nothing after the refusal starts");
        assertEquals(1, refuse.claim().ordinal());
        assertTrue(refuse.reason().contains("volumes cannot shrink"), refuse.reason());
        assertEquals(State.STOPPED, plan.status().state());
        assertTrue(plan.status().reason().orElseThrow().startsWith("data-db-1: it asks 3Gi"), plan.status().reason().get());
    }

    @Test
    void aTemplateSmallerThanItsClaimsIsNoShrinkItsClaimsAreDone() {
        GrowAsk template = new GrowAsk("data", TWO, GrowAsk.Source.TEMPLATE);
        VolumeGrowth.Plan plan = VolumeGrowth.plan(template, List.of(claim(0, THREE, THREE), old(1)),
                Pace.ONE_AT_A_TIME);
        assertEquals(1, assertInstanceOf(Grow.class, plan.actions().getFirst()).claim().ordinal());
        assertEquals(1, plan.status().done());
    }

    @Test
    void aClassWithoutVolumeExpansionIsRefused() {
        GrowingClaim fixed = new GrowingClaim(OrdinalClaim.of("ns", "db", "data", 0), ONE, ONE, true, false,
                Optional.empty(), false, "ordinal-fixed", Optional.empty(), Optional.empty());
        Refuse refuse = assertInstanceOf(Refuse.class, VolumeGrowth.plan(ASK_TWO, List.of(fixed, old(1)),
                Pace.ONE_AT_A_TIME).actions().getFirst());
        assertEquals("its StorageClass ordinal-fixed does not allow volume expansion (allowVolumeExpansion: false)",
                refuse.reason());
    }

    @Test
    void aDiskWithoutRoomForTheGrowthIsRefusedBeforeTheClaimIsAsked() {
        GrowingClaim full = new GrowingClaim(OrdinalClaim.of("ns", "db", "data", 0), ONE, ONE, true, false,
                Optional.empty(), true, "c", Optional.of("node-1/d1"), Optional.of(GI / 2));
        Refuse refuse = assertInstanceOf(Refuse.class, VolumeGrowth.plan(ASK_TWO, List.of(full), Pace.ONE_AT_A_TIME)
                .actions().getFirst());
        assertEquals("its disk node-1/d1 has 512Mi free and growing it from 1Gi to 2Gi needs 1Gi", refuse.reason());
    }

    @Test
    void claimsGrowingAtOnceOnOneDiskShareItsRoom() {
        GrowingClaim a = new GrowingClaim(OrdinalClaim.of("ns", "db", "data", 0), ONE, ONE, true, false,
                Optional.empty(), true, "c", Optional.of("node-1/d1"), Optional.of(GI + GI / 2));
        GrowingClaim b = new GrowingClaim(OrdinalClaim.of("ns", "db", "data", 1), ONE, ONE, true, false,
                Optional.empty(), true, "c", Optional.of("node-1/d1"), Optional.of(GI + GI / 2));
        VolumeGrowth.Plan plan = VolumeGrowth.plan(ASK_TWO, List.of(a, b), new Pace(2, false));
        assertInstanceOf(Grow.class, plan.actions().get(0));
        Refuse refuse = assertInstanceOf(Refuse.class, plan.actions().get(1));
        assertTrue(refuse.reason().contains("has 512Mi free"), refuse.reason());
    }

    @Test
    void aFailedResizeStopsTheRolloutWithTheResizersMessage() {
        GrowingClaim failed = new GrowingClaim(OrdinalClaim.of("ns", "db", "data", 0), TWO, ONE, true, false,
                Optional.of("ControllerResizeError: ResourceExhausted: cannot grow"), true, "c", Optional.empty(),
                Optional.empty());
        VolumeGrowth.Plan plan = VolumeGrowth.plan(ASK_TWO, List.of(failed, old(1)), Pace.ONE_AT_A_TIME);
        assertEquals(1, plan.actions().size());
        assertInstanceOf(Refuse.class, plan.actions().getFirst());
        assertEquals(Optional.of("data-db-0: resizing it failed: ControllerResizeError: ResourceExhausted: cannot grow"),
                plan.status().reason());
    }

    @Test
    void anUnboundClaimWaitsForItsVolumeInItsTurn() {
        GrowingClaim unbound = new GrowingClaim(OrdinalClaim.of("ns", "db", "data", 0), ONE, Size.NONE, false, false,
                Optional.empty(), true, "c", Optional.empty(), Optional.empty());
        VolumeGrowth.Plan plan = VolumeGrowth.plan(ASK_TWO, List.of(unbound, old(1)), Pace.ONE_AT_A_TIME);
        assertEquals(List.of(), plan.actions());
        assertEquals(Optional.of("data-db-0 waits for its volume before it can grow"), plan.status().reason());
    }

    @Test
    void everyClaimHoldingTheSizeIsComplete() {
        VolumeGrowth.Plan plan = VolumeGrowth.plan(ASK_TWO, List.of(claim(0, TWO, TWO), claim(1, TWO, TWO)),
                Pace.ONE_AT_A_TIME);
        assertEquals(new RolloutStatus(TWO, 2, 2, List.of(), State.COMPLETE, Optional.empty()), plan.status());
    }

    @Test
    void sizesInMessagesReadAsKubectlUsersWriteThem() {
        assertEquals("2Gi", VolumeGrowth.bytes(2 * GI));
        assertEquals("40.5Gi", VolumeGrowth.bytes(40 * GI + GI / 2));
        assertEquals("512B", VolumeGrowth.bytes(512));
    }
}
