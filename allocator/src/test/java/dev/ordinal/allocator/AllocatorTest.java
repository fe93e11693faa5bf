package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Allocation;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Disk;
import dev.ordinal.allocator.model.FitPolicy;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.Node;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.allocator.model.OwnerGroup;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.allocator.model.PlacementRequest;
import dev.ordinal.allocator.model.SpreadRule;
import dev.ordinal.allocator.model.Topology;
import dev.ordinal.allocator.model.TopologyRequirement;
import dev.ordinal.allocator.model.VolumeKey;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AllocatorTest {
    private static final String ZONE = Topology.DEFAULT_ZONE_KEY;
    private static final OwnerGroup DB = OwnerGroup.of("default", "db", "data");

    private final Allocator allocator = new Allocator();

    private void node(String name, String zone, long... diskGiB) {
        allocator.addNode(Node.of(name, zone == null ? Map.of() : Map.of(ZONE, zone)));
        for (int i = 0; i < diskGiB.length; i++) {
            allocator.addDisk(NodeName.of(name), Disk.of("d" + i, Capacity.ofGiB(diskGiB[i]), Layout.SUBVOLUME, Layout.DIR));
        }
    }

    private static PlacementRequest.Builder req(String volume, long gib) {
        return PlacementRequest.builder(VolumeKey.of(volume), Capacity.ofGiB(gib), Layout.SUBVOLUME);
    }

    private Placement placeAndCommit(PlacementRequest r) {
        Decision.Placed p = assertInstanceOf(Decision.Placed.class, allocator.place(r), () -> "refused: " + allocator.place(r));
        p.reservation().commit();
        return p.placement();
    }

    @Test
    void binpackFillsTheFullestDiskThatFitsAndSpreadTheEmptiest() {
        node("n1", "a", 100);
        node("n2", "a", 50);
        node("n3", "a", 20);
        assertEquals(Placement.of("n2", "d0"), placeAndCommit(req("v1", 30).fit(FitPolicy.BINPACK).build()),
                "20 GiB disk is too small, 50 GiB is the tightest fit");
        assertEquals(Placement.of("n1", "d0"), placeAndCommit(req("v2", 5).fit(FitPolicy.SPREAD).build()));
        // n1 now has 95 free, n2 20, n3 20: ties break on node name.
        assertEquals(Placement.of("n2", "d0"), placeAndCommit(req("v3", 5).fit(FitPolicy.BINPACK).build()));
    }

    @Test
    void hardNodeSpreadRefusesWithTheNumbers() {
        node("n1", "a", 100);
        node("n2", "a", 100);
        node("n3", "a", 4);
        node("n4", "b", 100);
        placeAndCommit(req("db-0", 10).owner(DB, 0).spread(SpreadRule.HARD_NODE).build());
        placeAndCommit(req("db-1", 10).owner(DB, 1).spread(SpreadRule.HARD_NODE)
                .topology(TopologyRequirement.requisite(List.of(Map.of(ZONE, "a")))).build());
        Decision d = allocator.place(req("db-2", 10).owner(DB, 2).spread(SpreadRule.HARD_NODE)
                .topology(TopologyRequirement.requisite(List.of(Map.of(ZONE, "a")))).build());
        Decision.Refused r = assertInstanceOf(Decision.Refused.class, d);
        assertEquals(Decision.Reason.CAPACITY, r.reason());
        assertEquals(new Decision.Counts(4, 3, 0, 3, 2, 1, Capacity.ofGiB(4), Capacity.ofGiB(10)), r.counts());
        assertEquals("cannot place 10 GiB subvolume volume db-2: of 4 nodes, 3 match topology {" + ZONE + "=a}; 0 cordoned; "
                + "3 offer layout subvolume; 2 hold other ordinals of default/db/data (node/hard spread); "
                + "1 left, their largest free disk has 4 GiB, 10 GiB asked", r.message());
    }

    @Test
    void hardSpreadWithNoFreeNodeIsASpreadRefusal() {
        node("n1", "a", 100);
        placeAndCommit(req("db-0", 1).owner(DB, 0).spread(SpreadRule.HARD_NODE).build());
        Decision.Refused r = assertInstanceOf(Decision.Refused.class,
                allocator.place(req("db-1", 1).owner(DB, 1).spread(SpreadRule.HARD_NODE).build()));
        assertEquals(Decision.Reason.SPREAD, r.reason());
        assertEquals(1, r.counts().nodesBlockedBySpread());
    }

    @Test
    void softSpreadPrefersEmptyNodesButFallsBackToTheLeastLoaded() {
        node("n1", "a", 100);
        node("n2", "a", 100);
        Placement p0 = placeAndCommit(req("db-0", 1).owner(DB, 0).spread(SpreadRule.SOFT_NODE).build());
        Placement p1 = placeAndCommit(req("db-1", 1).owner(DB, 1).spread(SpreadRule.SOFT_NODE).build());
        assertFalse(p0.node().equals(p1.node()), "two empty nodes: ordinals must land apart");
        Placement p2 = placeAndCommit(req("db-2", 1).owner(DB, 2).spread(SpreadRule.SOFT_NODE).build());
        assertTrue(p2.node().equals(p0.node()) || p2.node().equals(p1.node()));
    }

    @Test
    void hardZoneSpreadUsesEachZoneOnce() {
        node("a1", "a", 100);
        node("a2", "a", 100);
        node("b1", "b", 100);
        List<String> zones = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Placement p = placeAndCommit(req("db-" + i, 1).owner(DB, i).spread(SpreadRule.HARD_ZONE).build());
            zones.add(p.node().value().substring(0, 1));
        }
        assertEquals(List.of("a", "b"), zones.stream().sorted().toList());
        Decision.Refused r = assertInstanceOf(Decision.Refused.class,
                allocator.place(req("db-2", 1).owner(DB, 2).spread(SpreadRule.HARD_ZONE).build()));
        assertEquals(Decision.Reason.SPREAD, r.reason());
        assertTrue(r.message().contains("3 are in zones holding other ordinals of default/db/data (zone/hard spread)"), r.message());
    }

    @Test
    void volumesOfTheSameOrdinalDoNotRepelEachOther() {
        node("n1", "a", 100);
        allocator.addAllocation(new Allocation(VolumeKey.of("old-db-0"), Placement.of("n1", "d0"), Layout.SUBVOLUME,
                Capacity.ofGiB(10), DB, 0));
        assertEquals(Placement.of("n1", "d0"), placeAndCommit(req("new-db-0", 10).owner(DB, 0).spread(SpreadRule.HARD_NODE).build()));
    }

    @Test
    void preferredTopologyOutranksTheFitPolicy() {
        node("a1", "a", 100);
        node("b1", "b", 20);
        node("c1", "c", 10);
        TopologyRequirement t = TopologyRequirement.ANY.withPreferred(List.of(Map.of(ZONE, "c"), Map.of(ZONE, "a")));
        assertEquals(Placement.of("c1", "d0"), placeAndCommit(req("v1", 5).topology(t).fit(FitPolicy.SPREAD).build()));
        // c1 has 5 GiB left: 10 GiB no longer fits there, so the second preference wins over binpack's b1.
        assertEquals(Placement.of("a1", "d0"), placeAndCommit(req("v2", 10).topology(t).fit(FitPolicy.BINPACK).build()));
    }

    @Test
    void requisiteListingEveryNodeStillFindsTheTightestFit() {
        List<Map<String, String>> segments = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            node("n" + i, "z" + (i % 3), 100 + i);
            segments.add(Map.of(Topology.NODE_KEY, "n" + i));
        }
        segments.removeIf(s -> s.get(Topology.NODE_KEY).equals("n0"));
        TopologyRequirement t = TopologyRequirement.requisite(segments);
        assertEquals(Placement.of("n1", "d0"), placeAndCommit(req("v", 50).topology(t).build()), "n0 is smaller but not requisite");
    }

    @Test
    void stickyLocationWinsOverPolicyEvenOnACordonedNode() {
        node("n1", "a", 100);
        node("n2", "a", 10);
        allocator.cordon(NodeName.of("n1"));
        Placement p = placeAndCommit(req("db-0", 5).owner(DB, 0).sticky(Placement.of("n1", "d0")).fit(FitPolicy.BINPACK).build());
        assertEquals(Placement.of("n1", "d0"), p);
    }

    @Test
    void unusableStickyLocationIsRefusedNotMoved() {
        node("n1", "a", 10);
        node("n2", "a", 100);
        Decision.Refused r = assertInstanceOf(Decision.Refused.class,
                allocator.place(req("db-0", 20).owner(DB, 0).sticky(Placement.of("n1", "d0")).build()));
        assertEquals(Decision.Reason.STICKY, r.reason());
        assertEquals("sticky location n1/d0 of db-0 is unusable: disk has 10 GiB free, 20 GiB asked; retained data is not moved elsewhere",
                r.message());
        assertEquals(Capacity.ofGiB(10), r.counts().largestFree());
        Decision.Refused gone = assertInstanceOf(Decision.Refused.class,
                allocator.place(req("db-0", 1).sticky(Placement.of("n9", "d0")).build()));
        assertTrue(gone.message().contains("node n9 is not known (2 nodes are)"), gone.message());
    }

    @Test
    void replacingAnAllocatedVolumeReturnsItsPlacementAndInFlightOnesAreRefused() {
        node("n1", "a", 100);
        node("n2", "a", 50);
        Placement first = placeAndCommit(req("v1", 10).build());
        Decision again = allocator.place(req("v1", 10).fit(FitPolicy.SPREAD).build());
        Decision.Placed p = assertInstanceOf(Decision.Placed.class, again);
        assertEquals(first, p.placement());
        assertEquals(Reservation.State.COMMITTED, p.reservation().state());
        assertEquals(Capacity.ofGiB(10), allocator.diskUsage(first).orElseThrow().used(), "no second reservation was taken");

        Decision.Placed pending = assertInstanceOf(Decision.Placed.class, allocator.place(req("v2", 10).build()));
        Decision.Refused inFlight = assertInstanceOf(Decision.Refused.class, allocator.place(req("v2", 10).build()));
        assertEquals(Decision.Reason.IN_FLIGHT, inFlight.reason());
        pending.reservation().commit();
        Decision.Refused bigger = assertInstanceOf(Decision.Refused.class, allocator.place(req("v2", 20).build()));
        assertEquals(Decision.Reason.CONFLICT, bigger.reason());
    }

    @Test
    void reservationsHoldSpaceUntilReleasedAndCannotCommitAfterwards() {
        node("n1", "a", 10);
        Decision.Placed p = assertInstanceOf(Decision.Placed.class, allocator.place(req("v1", 8).build()));
        Decision.Refused full = assertInstanceOf(Decision.Refused.class, allocator.place(req("v2", 8).build()));
        assertEquals(Capacity.ofGiB(2), full.counts().largestFree());
        assertTrue(p.reservation().release());
        assertFalse(p.reservation().release(), "second release is a no-op");
        assertThrows(IllegalStateException.class, () -> p.reservation().commit());
        assertInstanceOf(Decision.Placed.class, allocator.place(req("v2", 8).build()));
        assertEquals(0, allocator.allocationCount());
        assertEquals(1, allocator.pendingReservationCount());
    }

    @Test
    void releaseAfterCommitKeepsTheAllocation() {
        node("n1", "a", 10);
        Decision.Placed p = assertInstanceOf(Decision.Placed.class, allocator.place(req("v1", 8).build()));
        Allocation a = p.reservation().commit();
        assertFalse(p.reservation().release());
        assertEquals(a, allocator.allocation(VolumeKey.of("v1")).orElseThrow());
    }

    @Test
    void getCapacityCountsSchedulableDisksAndDeductsReservations() {
        node("a1", "a", 100, 40);
        node("a2", "a", 60);
        node("b1", "b", 500);
        allocator.place(req("v1", 30).topology(TopologyRequirement.requisite(List.of(Map.of(Topology.NODE_KEY, "a2")))).build());
        assertEquals(new CapacityReport(Capacity.ofGiB(100 + 40 + 30), Capacity.ofGiB(100), 3),
                allocator.capacity(Layout.SUBVOLUME, Map.of(ZONE, "a")));
        assertEquals(new CapacityReport(Capacity.ofGiB(670), Capacity.ofGiB(500), 4), allocator.capacity(Layout.DIR, Map.of()));
        assertEquals(new CapacityReport(Capacity.ofGiB(30), Capacity.ofGiB(30), 1),
                allocator.capacity(Layout.SUBVOLUME, Map.of(Topology.NODE_KEY, "a2")));
        assertEquals(new CapacityReport(Capacity.ZERO, Capacity.ZERO, 0), allocator.capacity(Layout.IMAGE, Map.of()));
        allocator.cordon(NodeName.of("b1"));
        assertEquals(Capacity.ofGiB(170), allocator.capacity(Layout.DIR, Map.of()).available());
        assertEquals(Capacity.ZERO, allocator.capacity(Layout.DIR, Map.of(ZONE, "b")).available());
        allocator.uncordon(NodeName.of("b1"));
        assertEquals(Capacity.ofGiB(500), allocator.capacity(Layout.DIR, Map.of(ZONE, "b")).maximumVolumeSize());
    }

    @Test
    void cordonedNodesTakeNoNewVolumes() {
        node("n1", "a", 100);
        allocator.cordon(NodeName.of("n1"));
        Decision.Refused r = assertInstanceOf(Decision.Refused.class, allocator.place(req("v", 1).build()));
        assertEquals(Decision.Reason.CORDONED, r.reason());
        allocator.uncordon(NodeName.of("n1"));
        assertInstanceOf(Decision.Placed.class, allocator.place(req("v", 1).build()));
    }

    @Test
    void removingANodeDropsItsVolumesAndVoidsItsReservations() {
        node("n1", "a", 100);
        node("n2", "a", 10);
        Placement kept = placeAndCommit(req("v1", 50).build());
        assertEquals(Placement.of("n1", "d0"), kept);
        Decision.Placed pending = assertInstanceOf(Decision.Placed.class, allocator.place(req("v2", 20).build()));
        List<Allocation> dropped = allocator.removeNode(NodeName.of("n1"));
        assertEquals(List.of(VolumeKey.of("v1")), dropped.stream().map(Allocation::volume).toList());
        assertEquals(Reservation.State.RELEASED, pending.reservation().state());
        assertThrows(IllegalStateException.class, () -> pending.reservation().commit());
        assertTrue(allocator.allocation(VolumeKey.of("v1")).isEmpty());
        assertEquals(Capacity.ofGiB(10), allocator.capacity(Layout.SUBVOLUME, Map.of()).available());
    }

    @Test
    void resizeNeedsTheDifferenceFree() {
        node("n1", "a", 10);
        placeAndCommit(req("v1", 4).build());
        ResizeResult.NotResized no = assertInstanceOf(ResizeResult.NotResized.class,
                allocator.resizeAllocation(VolumeKey.of("v1"), Capacity.ofGiB(12)));
        assertEquals("disk n1/d0 has 6 GiB free; growing v1 from 4 GiB to 12 GiB needs 8 GiB more", no.reason());
        ResizeResult.Resized yes = assertInstanceOf(ResizeResult.Resized.class,
                allocator.resizeAllocation(VolumeKey.of("v1"), Capacity.ofGiB(10)));
        assertEquals(Capacity.ofGiB(10), yes.allocation().bytes());
        assertEquals(0, allocator.diskUsage(Placement.of("n1", "d0")).orElseThrow().freeBytes());
    }

    @Test
    void shrunkDiskTakesNothingUntilSpaceIsFreed() {
        node("n1", "a", 100);
        placeAndCommit(req("v1", 60).build());
        allocator.setDiskCapacity(Placement.of("n1", "d0"), Capacity.ofGiB(50), Capacity.ZERO);
        assertEquals(-10L << 30, allocator.diskUsage(Placement.of("n1", "d0")).orElseThrow().freeBytes());
        assertEquals(Capacity.ZERO, allocator.capacity(Layout.SUBVOLUME, Map.of()).available());
        assertInstanceOf(Decision.Refused.class, allocator.place(req("v2", 1).build()));
        allocator.removeAllocation(VolumeKey.of("v1"));
        assertInstanceOf(Decision.Placed.class, allocator.place(req("v2", 1).build()));
    }

    @Test
    void layoutMustBeOffered() {
        allocator.addNode(Node.of("n1", Map.of()));
        allocator.addDisk(NodeName.of("n1"), Disk.of("lvm", Capacity.ofGiB(100), Layout.IMAGE));
        Decision.Refused r = assertInstanceOf(Decision.Refused.class, allocator.place(req("v", 1).build()));
        assertEquals(Decision.Reason.LAYOUT, r.reason());
        assertEquals(Placement.of("n1", "lvm"), placeAndCommit(
                PlacementRequest.builder(VolumeKey.of("v"), Capacity.ofGiB(1), Layout.IMAGE).build()));
    }

    @Test
    void emptyClusterSaysSo() {
        Decision.Refused r = assertInstanceOf(Decision.Refused.class, allocator.place(req("v", 1).build()));
        assertEquals(Decision.Reason.NO_NODES, r.reason());
    }

    @Test
    void zoneSpreadReadsTheConfiguredZoneKey() {
        Allocator custom = new Allocator(AllocatorConfig.defaults().withZoneKey("example.com/room"));
        for (String n : List.of("n1", "n2")) {
            custom.addNode(Node.of(n, Map.of("example.com/room", "r1", ZONE, n)));
            custom.addDisk(NodeName.of(n), Disk.of("d0", Capacity.ofGiB(10), Layout.SUBVOLUME));
        }
        assertInstanceOf(Decision.Placed.class, custom.place(req("db-0", 1).owner(DB, 0).spread(SpreadRule.HARD_ZONE).build()));
        Decision.Refused r = assertInstanceOf(Decision.Refused.class,
                custom.place(req("db-1", 1).owner(DB, 1).spread(SpreadRule.HARD_ZONE).build()));
        assertEquals(Decision.Reason.SPREAD, r.reason(), "both nodes are in room r1, whatever the standard zone label says");
    }
}
