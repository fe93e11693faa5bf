package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.PlacementRequest;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PlacementProperties {

    /**
     * Every decision equals the brute-force oracle's (so refusals happen only when no legal placement
     * exists, hard spread holds and no disk is over-committed — Sim checks each after every step),
     * and the same stream gives the same transcript whatever order the cluster was built in, which
     * extra keys are indexed, and whether the indexes are used at all.
     */
    @Property(tries = 600)
    void decisionsMatchOracleAndAreDeterministic(@ForAll long seed,
                                                 @ForAll @IntRange(min = 1, max = 7) int nodes,
                                                 @ForAll @IntRange(min = 1, max = 3) int disks,
                                                 @ForAll @IntRange(min = 1, max = 80) int steps,
                                                 @ForAll boolean everyNodeZoned) {
        Sim indexed = new Sim(seed, nodes, disks, AllocatorConfig.defaults(), false, everyNodeZoned);
        indexed.run(steps);
        Sim reversedWithRackIndex = new Sim(seed, nodes, disks,
                AllocatorConfig.defaults().withIndexedKeys(List.of(Sim.RACK)), true, everyNodeZoned);
        reversedWithRackIndex.run(steps);
        Sim fullScan = new Sim(seed, nodes, disks,
                AllocatorConfig.defaults().withSearchMode(AllocatorConfig.SearchMode.FULL_SCAN), false, everyNodeZoned);
        fullScan.run(steps);
        assertEquals(indexed.transcript, reversedWithRackIndex.transcript);
        assertEquals(indexed.transcript, fullScan.transcript);
        // Guards against a generator that only ever refuses (or only places): both paths must be exercised.
        Statistics.label("outcomes").collect(indexed.placed > 0 ? "some placed" : "none placed",
                indexed.refused > 0 ? "some refused" : "none refused");
    }

    /** Larger clusters where only the allocator's own two search modes are compared (the oracle is too slow). */
    @Property(tries = 60)
    void indexedSearchAgreesWithFullScanOnLargerClusters(@ForAll long seed, @ForAll @IntRange(min = 20, max = 60) int nodes,
                                                          @ForAll boolean everyNodeZoned) {
        Sim indexed = new Sim(seed, nodes, 4, AllocatorConfig.defaults(), false, everyNodeZoned);
        indexed.run(150);
        Sim fullScan = new Sim(seed, nodes, 4, AllocatorConfig.defaults().withSearchMode(AllocatorConfig.SearchMode.FULL_SCAN),
                true, everyNodeZoned);
        fullScan.run(150);
        assertEquals(indexed.transcript, fullScan.transcript);
    }

    /** Releasing every reservation of an aborted batch gives all space back, and the next decision is as on a fresh model. */
    @Property(tries = 100)
    void releasedReservationsLeaveNoTrace(@ForAll long seed, @ForAll @IntRange(min = 1, max = 6) int nodes,
                                          @ForAll @IntRange(min = 1, max = 30) int batch) {
        Sim sim = new Sim(seed, nodes, 3, AllocatorConfig.defaults(), false);
        Sim fresh = new Sim(seed, nodes, 3, AllocatorConfig.defaults(), false);
        Map<Layout, CapacityReport> before = new HashMap<>();
        for (Layout l : Layout.values()) {
            before.put(l, sim.allocator.capacity(l, Map.of()));
        }
        List<Reservation> reservations = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            PlacementRequest r = sim.randomRequest("abort-" + i);
            if (sim.allocator.place(r) instanceof Decision.Placed p) {
                reservations.add(p.reservation());
            }
        }
        for (Reservation r : reservations) {
            r.release();
            r.release(); // idempotent
            assertEquals(Reservation.State.RELEASED, r.state());
        }
        for (Layout l : Layout.values()) {
            assertEquals(before.get(l), sim.allocator.capacity(l, Map.of()));
        }
        assertEquals(0, sim.allocator.pendingReservationCount());
        for (var n : sim.oracle.nodes.values()) {
            for (var d : n.disks.values()) {
                assertEquals(Capacity.ZERO, sim.allocator.diskUsage(dev.ordinal.allocator.model.Placement.of(n.name, d.name)).orElseThrow().used());
            }
        }
        PlacementRequest probe = sim.randomRequest("after-abort");
        assertEquals(describe(fresh.allocator.place(probe)), describe(sim.allocator.place(probe)));
    }

    private static String describe(Decision d) {
        return switch (d) {
            case Decision.Placed p -> "placed " + p.placement();
            case Decision.Refused f -> "refused " + f.message();
        };
    }
}
