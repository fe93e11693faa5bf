package dev.ordinal.allocator.bench;

import dev.ordinal.allocator.Allocator;
import dev.ordinal.allocator.AllocatorConfig;
import dev.ordinal.allocator.Decision;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.FitPolicy;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.OwnerGroup;
import dev.ordinal.allocator.model.PlacementRequest;
import dev.ordinal.allocator.model.SpreadRule;
import dev.ordinal.allocator.model.VolumeKey;
import org.openjdk.jol.info.GraphLayout;

import java.util.SplittableRandom;

/**
 * Model memory per allocation: the retained object graph of an Allocator (JOL GraphLayout) on
 * 5,000 nodes x 4 disks, before and after placing and committing 100,000 volumes through
 * place() with CSI-style names (pvc-uuid) and StatefulSets of 3-5 ordinals, divided by 100,000.
 * Cross-checked by the used-heap difference after repeated System.gc().
 * Run: java -cp allocator/target/benchmarks.jar dev.ordinal.allocator.bench.MemoryFootprint
 */
public final class MemoryFootprint {
    private MemoryFootprint() {
    }

    public static void main(String[] args) {
        int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        int allocations = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        Allocator a = BenchCluster.build(nodes, AllocatorConfig.SearchMode.INDEXED);
        long emptyGraph = GraphLayout.parseInstance(a).totalSize();
        long emptyHeap = usedHeapAfterGc();

        SplittableRandom rnd = new SplittableRandom(7);
        int placed = 0;
        int g = 0;
        while (placed < allocations) {
            OwnerGroup group = BenchCluster.group(g++);
            int ordinals = 3 + rnd.nextInt(3);
            for (int o = 0; o < ordinals && placed < allocations; o++, placed++) {
                PlacementRequest r = PlacementRequest.builder(VolumeKey.of(BenchCluster.volumeName(rnd)),
                                Capacity.ofGiB(1 + rnd.nextInt(64)), Layout.SUBVOLUME)
                        .owner(group, o).spread(SpreadRule.HARD_NODE).fit(FitPolicy.BINPACK).build();
                if (!(a.place(r) instanceof Decision.Placed p)) {
                    throw new IllegalStateException("refused while filling");
                }
                p.reservation().commit();
            }
        }
        long fullGraph = GraphLayout.parseInstance(a).totalSize();
        long fullHeap = usedHeapAfterGc();
        System.out.printf("nodes=%d disks=%d allocations=%d groups=%d%n", nodes, nodes * BenchCluster.DISKS_PER_NODE,
                a.allocationCount(), g);
        System.out.printf("JOL graph: empty model %,d B, with allocations %,d B -> %.1f B per allocation%n",
                emptyGraph, fullGraph, (fullGraph - emptyGraph) / (double) allocations);
        System.out.printf("heap after GC: empty %,d B, with allocations %,d B -> %.1f B per allocation%n",
                emptyHeap, fullHeap, (fullHeap - emptyHeap) / (double) allocations);
        System.out.println(GraphLayout.parseInstance(a).toFootprint().lines().limit(25).reduce("", (x, y) -> x + y + "\n"));
        if (a.allocationCount() != allocations) {
            throw new AssertionError("model lost allocations");
        }
    }

    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }
}
