package dev.ordinal.allocator.bench;

import dev.ordinal.allocator.Allocator;
import dev.ordinal.allocator.AllocatorConfig;
import dev.ordinal.allocator.model.Allocation;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Disk;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.Node;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.allocator.model.OwnerGroup;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.allocator.model.Topology;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

/** The benchmark cluster: N nodes x 4 disks of 4 TiB in 3 zones, each disk offering subvolume and dir. */
final class BenchCluster {
    static final int DISKS_PER_NODE = 4;
    static final String[] ZONES = {"zone-a", "zone-b", "zone-c"};

    private BenchCluster() {
    }

    static Allocator build(int nodes, AllocatorConfig.SearchMode mode) {
        Allocator a = new Allocator(AllocatorConfig.defaults().withSearchMode(mode));
        for (int i = 0; i < nodes; i++) {
            NodeName name = NodeName.of(nodeName(i));
            a.addNode(new Node(name, Map.of(Topology.DEFAULT_ZONE_KEY, ZONES[i % ZONES.length]), true));
            for (int d = 0; d < DISKS_PER_NODE; d++) {
                a.addDisk(name, Disk.of("disk" + d, Capacity.ofTiB(4), Layout.SUBVOLUME, Layout.DIR));
            }
        }
        return a;
    }

    static String nodeName(int i) {
        return String.format("worker-%06d", i);
    }

    /** A CSI-style volume name, as the external-provisioner generates: pvc-&lt;uuid&gt;. */
    static String volumeName(SplittableRandom rnd) {
        return "pvc-" + new UUID(rnd.nextLong(), rnd.nextLong());
    }

    /** A fresh OwnerGroup with its own strings, as the driver would build it from a PVC. */
    static OwnerGroup group(int i) {
        return new OwnerGroup(new String("team-" + (i % 50)), "set-" + i, new String("data"));
    }

    /**
     * Fills the model with {@code count} allocations through addAllocation (no search), StatefulSets of
     * 3-5 ordinals on distinct nodes. Used to reach steady state quickly for both search modes.
     */
    static void prefill(Allocator a, int nodes, int count, SplittableRandom rnd) {
        int placed = 0;
        int g = 0;
        while (placed < count) {
            OwnerGroup group = group(-1 - g++);
            int ordinals = 3 + rnd.nextInt(3);
            int base = rnd.nextInt(nodes);
            for (int o = 0; o < ordinals && placed < count; o++, placed++) {
                int node = (base + o * 7919) % nodes;
                Placement p = Placement.of(nodeName(node), "disk" + rnd.nextInt(DISKS_PER_NODE));
                a.addAllocation(new Allocation(dev.ordinal.allocator.model.VolumeKey.of(volumeName(rnd)), p, Layout.SUBVOLUME,
                        Capacity.ofGiB(1 + rnd.nextInt(64)), group, o));
            }
        }
    }
}
