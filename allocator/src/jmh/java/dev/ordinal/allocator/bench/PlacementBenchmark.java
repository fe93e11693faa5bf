package dev.ordinal.allocator.bench;

import dev.ordinal.allocator.Allocator;
import dev.ordinal.allocator.AllocatorConfig;
import dev.ordinal.allocator.Decision;
import dev.ordinal.allocator.model.Allocation;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.allocator.model.FitPolicy;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.OwnerGroup;
import dev.ordinal.allocator.model.PlacementRequest;
import dev.ordinal.allocator.model.SpreadRule;
import dev.ordinal.allocator.model.VolumeKey;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One operation = one CreateVolume worth of allocator work at steady state: place a volume of a
 * StatefulSet (3-5 ordinals, hard node spread, binpack), commit the reservation, and delete the
 * volume created {@code window} operations earlier so the model stays at 20 allocations per node.
 * FULL_SCAN is the naive baseline: the same model and rules, choosing by visiting every node.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class PlacementBenchmark {
    private static final int ALLOCATIONS_PER_NODE = 20;

    @Param({"500", "5000", "50000"})
    public int nodes;

    @Param({"INDEXED", "FULL_SCAN"})
    public String mode;

    private Allocator allocator;
    private VolumeKey[] ring;
    private long[] sizes;
    private OwnerGroup[] groups;
    private int window;
    private long seq;
    private int groupSeq;
    private int ordinal;
    private int ordinals;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(42);
        allocator = BenchCluster.build(nodes, AllocatorConfig.SearchMode.valueOf(mode));
        // The steady-state population lives in the prefill; the ring holds the volumes this benchmark churns.
        int population = nodes * ALLOCATIONS_PER_NODE;
        window = Math.min(population / 2, 50_000);
        BenchCluster.prefill(allocator, nodes, population - window, rnd);
        ring = new VolumeKey[window];
        for (int i = 0; i < window; i++) {
            ring[i] = VolumeKey.of(BenchCluster.volumeName(rnd));
        }
        sizes = new long[4096];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = (1L + rnd.nextInt(64)) << 30;
        }
        // Reused round-robin; a group comes back only after its old volumes left the window.
        groups = new OwnerGroup[window / 3 + 2];
        for (int i = 0; i < groups.length; i++) {
            groups[i] = BenchCluster.group(i);
        }
        // Fill the window without searching (FULL_SCAN would need minutes for 50,000 decisions), so
        // every measured op is delete + place + commit on a model at steady size.
        for (int i = 0; i < window; i++) {
            allocator.addAllocation(new Allocation(ring[i], Placement.of(BenchCluster.nodeName((i * 7919) % nodes),
                    "disk" + (i % BenchCluster.DISKS_PER_NODE)), Layout.SUBVOLUME, Capacity.ofGiB(1 + rnd.nextInt(64)), null, -1));
        }
        seq = window;
    }

    @Benchmark
    public Object placeCommitAndChurn() {
        return op();
    }

    private Decision op() {
        int slot = (int) (seq % window);
        if (seq >= window) {
            allocator.removeAllocation(ring[slot]);
        }
        if (ordinal == ordinals) {
            ordinal = 0;
            ordinals = 3 + (int) (seq % 3);
            groupSeq = (groupSeq + 1) % groups.length;
        }
        PlacementRequest r = PlacementRequest.builder(ring[slot], new Capacity(sizes[(int) (seq & 4095)]), Layout.SUBVOLUME)
                .owner(groups[groupSeq], ordinal++)
                .spread(SpreadRule.HARD_NODE)
                .fit(FitPolicy.BINPACK)
                .build();
        seq++;
        Decision d = allocator.place(r);
        if (d instanceof Decision.Placed p) {
            p.reservation().commit();
        } else {
            throw new IllegalStateException("benchmark cluster refused: " + d);
        }
        return d;
    }
}
