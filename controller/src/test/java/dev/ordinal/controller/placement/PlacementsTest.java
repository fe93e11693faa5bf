package dev.ordinal.controller.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.allocator.Decision;
import dev.ordinal.allocator.model.FitPolicy;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.SpreadRule;
import dev.ordinal.controller.model.OrdinalClaim;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Placement decisions on a model of nodes, disks and volumes; each test names what a user would see. */
class PlacementsTest {

    static final long GIB = 1L << 30;
    static final ClassRules DEFAULTS = ClassRules.parse(Map.of(), List.of());

    static StorageNode node(String name, long... diskGiB) {
        return node(name, Map.of(), true, diskGiB);
    }

    static StorageNode node(String name, Map<String, String> topology, boolean schedulable, long... diskGiB) {
        List<StorageDisk> disks = new ArrayList<>();
        for (int i = 0; i < diskGiB.length; i++) {
            disks.add(new StorageDisk("disk" + i, Set.of("image", "dir"), diskGiB[i] * GIB, diskGiB[i] * GIB, true));
        }
        return new StorageNode(name, topology, schedulable, disks);
    }

    static ClaimRequest request(int ordinal, long gib, ClassRules rules) {
        return new ClaimRequest(OrdinalClaim.of("ns", "web", "data", ordinal), gib * GIB, rules, Optional.empty());
    }

    static ExistingVolume pv(String name, String node, String disk, long gib, Integer ordinal) {
        return new ExistingVolume(name, node, Optional.ofNullable(disk), "image", gib * GIB, true,
                Optional.ofNullable(ordinal).map(o -> OrdinalClaim.of("ns", "web", "data", o)));
    }

    static String where(PlacementOutcome outcome) {
        return ((PlacementOutcome.Placed) outcome).where().toString();
    }

    @Test
    void threeOrdinalsGoToThreeNodesWithTheDefaultSoftNodeSpread() {
        List<PlacementOutcome> outcomes = Placements.plan(List.of(node("a", 10), node("b", 10), node("c", 10)), List.of(),
                List.of(request(2, 1, DEFAULTS), request(0, 1, DEFAULTS), request(1, 1, DEFAULTS)));
        assertEquals(List.of(0, 1, 2), outcomes.stream().map(o -> o.request().claim().ordinal()).toList(), "ordinal order");
        assertEquals(3, outcomes.stream().map(o -> where(o).split("/")[0]).distinct().count(), outcomes.toString());
        assertTrue(outcomes.stream().allMatch(o -> where(o).endsWith("/disk0")));
    }

    @Test
    void theSetsExistingVolumesAndEarlierPlacementsCountForSpread() {
        ExistingVolume placedNotMade = new ExistingVolume("ns/data-web-1", "b", Optional.of("disk0"), "image", GIB, false,
                Optional.of(OrdinalClaim.of("ns", "web", "data", 1)));
        List<PlacementOutcome> outcomes = Placements.plan(List.of(node("a", 10), node("b", 10), node("c", 10)),
                List.of(pv("pvc-0", "a", "disk0", 1, 0), placedNotMade), List.of(request(2, 1, DEFAULTS)));
        assertEquals("c/disk0", where(outcomes.getFirst()));
    }

    @Test
    void otherSetsVolumesTakeSpaceButDoNotCountForSpread() {
        ClassRules hard = ClassRules.parse(Map.of("spread", "node/hard"), List.of());
        ExistingVolume otherSet = new ExistingVolume("pvc-other", "a", Optional.of("disk0"), "image", 9 * GIB, true,
                Optional.of(OrdinalClaim.of("ns", "cache", "data", 0)));
        List<StorageNode> nodes = List.of(node("a", 10), node("b", 10));
        List<ExistingVolume> volumes = List.of(otherSet, pv("pvc-0", "b", "disk0", 1, 0));
        assertEquals("a/disk0", where(Placements.plan(nodes, volumes, List.of(request(1, 1, hard))).getFirst()),
                "cache's ordinal 0 on a is no ordinal of web's");
        PlacementOutcome.Refused refused = assertInstanceOf(PlacementOutcome.Refused.class,
                Placements.plan(nodes, volumes, List.of(request(1, 2, hard))).getFirst());
        assertEquals(Decision.Reason.CAPACITY, refused.reason(), "but its 9 GiB leave a 1 GiB: " + refused.message());
        assertEquals(GIB, refused.largestFree());
    }

    @Test
    void hardSpreadRefusesTheFourthOrdinalOnThreeNodesWithTheNumbers() {
        ClassRules hard = ClassRules.parse(Map.of("spread", "node"), List.of());
        assertEquals(SpreadRule.HARD_NODE, hard.spread(), "a scope without strictness is hard, as the driver reads it");
        PlacementOutcome outcome = Placements.plan(List.of(node("a", 10), node("b", 10), node("c", 10)),
                List.of(pv("pvc-0", "a", "disk0", 1, 0), pv("pvc-1", "b", "disk0", 1, 1), pv("pvc-2", "c", "disk0", 1, 2)),
                List.of(request(3, 1, hard))).getFirst();
        PlacementOutcome.Refused refused = assertInstanceOf(PlacementOutcome.Refused.class, outcome);
        assertEquals(Decision.Reason.SPREAD, refused.reason());
        assertEquals(GIB, refused.asked());
        assertTrue(refused.message().contains("of 3 nodes") && refused.message().contains("3 hold other ordinals of ns/web/data")
                && refused.message().contains("1 GiB"), refused.message());
        assertTrue(refused.took().toNanos() > 0, "the allocator was asked");
    }

    @Test
    void aClaimLargerThanAnyDiskIsRefusedWithAskedAndLargestFree() {
        PlacementOutcome.Refused refused = assertInstanceOf(PlacementOutcome.Refused.class, Placements.plan(
                List.of(node("a", 10), node("b", 8)), List.of(pv("pvc-x", "a", "disk0", 3, null)),
                List.of(request(0, 20, DEFAULTS))).getFirst());
        assertEquals(Decision.Reason.CAPACITY, refused.reason());
        assertEquals(20 * GIB, refused.asked());
        assertEquals(8 * GIB, refused.largestFree(), "b's 8 GiB beat a's 10 GiB less 3 GiB used");
        assertTrue(refused.message().contains("largest free disk has 8 GiB, 20 GiB asked"), refused.message());
    }

    @Test
    void whatTheAgentCountsAsTakenBeyondKnownVolumesIsNotFree() {
        // a's agent says 2 GiB free of 10: 3 GiB of volumes known here, so 5 GiB are snapshots (or volumes not seen).
        StorageNode a = new StorageNode("a", Map.of(), true,
                List.of(new StorageDisk("disk0", Set.of("image"), 10 * GIB, 2 * GIB, true)));
        PlacementOutcome outcome = Placements.plan(List.of(a, node("b", 4)), List.of(pv("pvc-x", "a", "disk0", 3, null)),
                List.of(request(0, 3, DEFAULTS))).getFirst();
        assertEquals("b/disk0", where(outcome));
    }

    @Test
    void volumesNewerThanTheAgentsLastReportAreNotFreeEither() {
        // The report still says all 10 GiB free, but 9 GiB of PVs were made since.
        PlacementOutcome outcome = Placements.plan(List.of(node("a", 10), node("b", 4)),
                List.of(pv("pvc-x", "a", "disk0", 9, null)), List.of(request(0, 3, DEFAULTS))).getFirst();
        assertEquals("b/disk0", where(outcome));
    }

    @Test
    void claimsPlacedInThisPassTakeTheirSpace() {
        ClassRules none = ClassRules.parse(Map.of("spread", "none"), List.of());
        List<PlacementOutcome> outcomes = Placements.plan(List.of(node("a", 5)), List.of(),
                List.of(request(0, 3, none), request(1, 3, none)));
        assertEquals("a/disk0", where(outcomes.get(0)));
        assertEquals(Decision.Reason.CAPACITY, assertInstanceOf(PlacementOutcome.Refused.class, outcomes.get(1)).reason());
    }

    @Test
    void aRetainedVolumeKeepsItsOrdinalOnItsDisk() {
        ClaimRequest request = new ClaimRequest(OrdinalClaim.of("ns", "web", "data", 0), GIB, DEFAULTS,
                Optional.of(new StickyVolume("pvc-old", "b", Optional.of("disk1"))));
        assertEquals("b/disk1", where(Placements.plan(List.of(node("a", 100), node("b", 1, 2)), List.of(),
                List.of(request)).getFirst()));
    }

    @Test
    void aRetainedVolumeOnANodeThatIsGoneIsRefusedNotMovedElsewhere() {
        ClaimRequest request = new ClaimRequest(OrdinalClaim.of("ns", "web", "data", 0), GIB, DEFAULTS,
                Optional.of(new StickyVolume("pvc-old", "gone", Optional.of("disk0"))));
        PlacementOutcome.Refused refused = assertInstanceOf(PlacementOutcome.Refused.class,
                Placements.plan(List.of(node("a", 100)), List.of(), List.of(request)).getFirst());
        assertEquals(Decision.Reason.STICKY, refused.reason());
        assertTrue(refused.message().contains("node gone is not known"), refused.message());
    }

    @Test
    void aRetainedVolumeKnownOnlyByItsNodeKeepsTheOrdinalOnThatNode() {
        ClaimRequest request = new ClaimRequest(OrdinalClaim.of("ns", "web", "data", 0), GIB, DEFAULTS,
                Optional.of(new StickyVolume("pvc-old", "b", Optional.empty())));
        assertTrue(where(Placements.plan(List.of(node("a", 100), node("b", 1, 5)), List.of(), List.of(request))
                .getFirst()).startsWith("b/"));
    }

    @Test
    void cordonedNodesAndUnhealthyDisksTakeNothing() {
        StorageNode sick = new StorageNode("sick", Map.of(), true,
                List.of(new StorageDisk("disk0", Set.of("image"), 100 * GIB, 100 * GIB, false)));
        StorageNode cordoned = node("cordoned", Map.of(), false, 100);
        assertEquals("a/disk0", where(Placements.plan(List.of(sick, cordoned, node("a", 2)), List.of(),
                List.of(request(0, 1, DEFAULTS))).getFirst()));
        assertEquals(Decision.Reason.CORDONED, assertInstanceOf(PlacementOutcome.Refused.class,
                Placements.plan(List.of(cordoned), List.of(), List.of(request(0, 1, DEFAULTS))).getFirst()).reason());
    }

    @Test
    void allowedTopologiesRestrictTheNodes() {
        ClassRules zoneB = ClassRules.parse(Map.of(), List.of(Map.of("topology.kubernetes.io/zone", List.of("b"))));
        assertEquals("y/disk0", where(Placements.plan(List.of(node("x", Map.of("topology.kubernetes.io/zone", "a"), true, 100),
                node("y", Map.of("topology.kubernetes.io/zone", "b"), true, 2)), List.of(),
                List.of(request(0, 1, zoneB))).getFirst()));
    }

    @Test
    void noNodesMeansARefusalSayingSo() {
        PlacementOutcome.Refused refused = assertInstanceOf(PlacementOutcome.Refused.class,
                Placements.plan(List.of(), List.of(), List.of(request(0, 1, DEFAULTS))).getFirst());
        assertEquals(Decision.Reason.NO_NODES, refused.reason());
    }

    @Test
    void anOrdinalIsDecidedOnlyOnceEveryLowerOrdinalInRangeHasItsClaim() {
        assertTrue(Placements.inTurn(0, 0, 4, Set.of(3, 0)), "the first waits for none");
        assertTrue(!Placements.inTurn(3, 0, 4, Set.of(3, 0)), "1 and 2 are about to be made");
        assertTrue(Placements.inTurn(3, 0, 4, Set.of(0, 1, 2, 3)));
        assertTrue(Placements.inTurn(7, 0, 4, Set.of(0, 1, 2, 3, 7)), "4..6 are out of range: never made, never waited for");
        assertTrue(!Placements.inTurn(7, 0, 4, Set.of(0, 2, 7)));
        assertTrue(Placements.inTurn(5, 5, 2, Set.of(5)), "from spec.ordinals.start");
        assertTrue(!Placements.inTurn(6, 5, 2, Set.of(6)));
    }

    @Test
    void classParametersAreReadAsTheDriverReadsThem() {
        assertEquals(new ClassRules(Layout.IMAGE, FitPolicy.SPREAD, SpreadRule.SOFT_NODE, List.of()), DEFAULTS);
        ClassRules rules = ClassRules.parse(Map.of("layout", "dir", "fitPolicy", "binpack", "spread", "zone/soft",
                "orderedBinding", "true"), List.of(Map.of("zone", List.of("a", "b"), "rack", List.of("1"))));
        assertEquals(Layout.DIR, rules.layout());
        assertEquals(FitPolicy.BINPACK, rules.fit());
        assertEquals(SpreadRule.SOFT_ZONE, rules.spread());
        assertEquals(Set.of(Map.of("zone", "a", "rack", "1"), Map.of("zone", "b", "rack", "1")), Set.copyOf(rules.requisite()));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> ClassRules.parse(Map.of("spread", "rack"), List.of()));
        assertTrue(bad.getMessage().contains("rack"), bad.getMessage());
        assertTrue(ClassRules.onDisks(Map.of("layout", "dir")));
        assertTrue(!ClassRules.onDisks(Map.of("server", "nfs.example", "share", "/srv")));
    }
}
