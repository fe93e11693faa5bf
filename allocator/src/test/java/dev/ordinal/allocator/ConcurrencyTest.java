package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Allocation;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Disk;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.Node;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.allocator.model.OwnerGroup;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.allocator.model.PlacementRequest;
import dev.ordinal.allocator.model.SpreadRule;
import dev.ordinal.allocator.model.VolumeKey;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConcurrencyTest {

    /** Many CreateVolume calls at once on a cluster too small for all of them: no disk may end up over-committed. */
    @Test
    void concurrentPlacementsNeverOverCommitOrBreakHardSpread() throws Exception {
        Allocator allocator = new Allocator();
        for (int i = 0; i < 6; i++) {
            allocator.addNode(Node.of("n" + i, Map.of("topology.kubernetes.io/zone", "z" + (i % 2))));
            for (int j = 0; j < 2; j++) {
                allocator.addDisk(NodeName.of("n" + i), Disk.of("d" + j, Capacity.ofGiB(50), Layout.SUBVOLUME));
            }
        }
        int threads = 8;
        int perThread = 150;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> results = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    start.await();
                    int placed = 0;
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    for (int i = 0; i < perThread; i++) {
                        OwnerGroup g = OwnerGroup.of("ns", "set" + (i % 10), "data");
                        PlacementRequest r = PlacementRequest.builder(VolumeKey.of("t" + thread + "-" + i),
                                        Capacity.ofGiB(1 + rnd.nextInt(8)), Layout.SUBVOLUME)
                                .owner(g, thread).spread(SpreadRule.HARD_NODE).build();
                        if (allocator.place(r) instanceof Decision.Placed p) {
                            if (rnd.nextInt(4) == 0) {
                                p.reservation().release();
                            } else {
                                p.reservation().commit();
                                placed++;
                            }
                        }
                    }
                    return placed;
                }));
            }
            start.countDown();
            int committed = 0;
            for (Future<Integer> f : results) {
                committed += f.get();
            }
            assertEquals(committed, allocator.allocationCount());
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, allocator.pendingReservationCount());
        Map<Placement, Long> used = new HashMap<>();
        Map<String, Set<Integer>> ordinalsPerGroupNode = new HashMap<>();
        for (Allocation a : allocator.allocations()) {
            used.merge(a.placement(), a.bytes().bytes(), Long::sum);
            String key = a.group() + "@" + a.placement().node();
            // A thread reuses its ordinal across iterations; those volumes may share a node, other ordinals may not.
            ordinalsPerGroupNode.computeIfAbsent(key, k -> new HashSet<>()).add(a.ordinal());
            assertEquals(1, ordinalsPerGroupNode.get(key).size(), () -> "two ordinals of one set on one node: " + key);
        }
        for (Map.Entry<Placement, Long> e : used.entrySet()) {
            DiskUsage u = allocator.diskUsage(e.getKey()).orElseThrow();
            assertEquals(e.getValue(), u.used().bytes());
            assertTrue(u.freeBytes() >= 0, () -> "over-committed " + e.getKey());
        }
    }
}
