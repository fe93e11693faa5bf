package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.OwnerGroup;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The model plus its indexes. Not thread-safe: {@link Allocator} guards it with one lock.
 * Every update touches only the disks concerned and the indexes they are in, O(log n) each.
 */
final class ClusterState {
    private static final Layout[] LAYOUTS = Layout.values();

    final AllocatorConfig config;
    final boolean indexed;
    final HashMap<String, NodeState> nodes = new HashMap<>();
    /** Dense list for full scans (refusal accounting, FULL_SCAN mode). */
    final ArrayList<NodeState> nodeList = new ArrayList<>();
    final HoldTable holds = new HoldTable();
    final HashMap<OwnerGroup, GroupState> groups = new HashMap<>();
    /**
     * Indexes are per layout <em>combination</em> (bit mask of offered layouts), not per layout: a
     * disk offering subvolume and dir sits in one index, so a commit re-sorts it once per indexed
     * key instead of once per layout. A search for one layout visits the few masks containing it.
     */
    static final int MASKS = 1 << LAYOUTS.length;
    /** For each layout ordinal, the masks that include it. */
    static final int[][] MASKS_WITH = new int[LAYOUTS.length][];

    static {
        for (int l = 0; l < LAYOUTS.length; l++) {
            int bit = 1 << l;
            MASKS_WITH[l] = java.util.stream.IntStream.range(1, MASKS).filter(m -> (m & bit) != 0).toArray();
        }
    }

    /** Per layout mask: every schedulable disk with exactly that mask. */
    final FreeIndex[] global = new FreeIndex[MASKS];
    /** Per layout mask, per indexed key (position in config.indexedKeys()), per label value. */
    private final List<List<HashMap<String, FreeIndex>>> byLabel = new ArrayList<>();
    /** Schedulable nodes lacking the zone label; while any exist, zone-scoped searches cannot use zone indexes alone. */
    int schedulableWithoutZone;
    int committedCount;
    private final HashMap<String, String> names = new HashMap<>();

    ClusterState(AllocatorConfig config) {
        this.config = config;
        this.indexed = config.searchMode() == AllocatorConfig.SearchMode.INDEXED;
        for (int m = 0; m < MASKS; m++) {
            global[m] = new FreeIndex();
            List<HashMap<String, FreeIndex>> perKey = new ArrayList<>();
            for (int k = 0; k < config.indexedKeys().size(); k++) {
                perKey.add(new HashMap<>());
            }
            byLabel.add(perKey);
        }
    }

    /** Index for (mask, key, value), or null when no schedulable disk has that label. */
    FreeIndex labelIndex(int mask, int keyPos, String value) {
        return byLabel.get(mask).get(keyPos).get(value);
    }

    Map<String, FreeIndex> labelIndexes(int mask, int keyPos) {
        return byLabel.get(mask).get(keyPos);
    }

    /** Disks offering the layout across all masks, in the global indexes. */
    int globalSize(Layout layout) {
        int n = 0;
        for (int m : MASKS_WITH[layout.ordinal()]) {
            n += global[m].size();
        }
        return n;
    }

    /** Disks offering the layout with label key=value, across masks. */
    int labelSize(Layout layout, int keyPos, String value) {
        int n = 0;
        for (int m : MASKS_WITH[layout.ordinal()]) {
            FreeIndex idx = labelIndex(m, keyPos, value);
            n += idx == null ? 0 : idx.size();
        }
        return n;
    }

    /**
     * Position of the segment's indexed key with the fewest disks for the layout; -1 to use the
     * global indexes (no indexed key in the segment); -2 when an indexed key's value has no disks.
     */
    int narrowestKey(Map<String, String> segment, Layout layout) {
        List<String> keys = config.indexedKeys();
        int bestKey = -1;
        int bestSize = globalSize(layout);
        for (int k = 0; k < keys.size(); k++) {
            String v = segment.get(keys.get(k));
            if (v != null) {
                int size = labelSize(layout, k, v);
                if (size == 0) {
                    return -2;
                }
                if (size <= bestSize) {
                    bestKey = k;
                    bestSize = size;
                }
            }
        }
        return bestKey;
    }

    /** Puts a disk of a schedulable node into every index it belongs to. */
    void index(DiskState d) {
        if (!indexed || !d.node.schedulable || d.indexes.length != 0) {
            return;
        }
        List<String> keys = config.indexedKeys();
        ArrayList<FreeIndex> in = new ArrayList<>();
        in.add(global[d.layoutMask]);
        for (int k = 0; k < keys.size(); k++) {
            String v = d.node.labels.get(keys.get(k));
            if (v != null) {
                in.add(byLabel.get(d.layoutMask).get(k).computeIfAbsent(v, x -> new FreeIndex()));
            }
        }
        d.indexes = in.toArray(DiskState.NO_INDEXES);
        for (FreeIndex i : d.indexes) {
            i.add(d);
        }
    }

    void unindex(DiskState d) {
        for (FreeIndex i : d.indexes) {
            i.remove(d);
        }
        d.indexes = DiskState.NO_INDEXES;
    }

    /** Changes a disk's used bytes; the disk leaves and re-enters its indexes because its sort key moves. */
    void addUsed(DiskState d, long delta) {
        FreeIndex[] in = d.indexes;
        for (FreeIndex i : in) {
            i.remove(d);
        }
        d.used += delta;
        for (FreeIndex i : in) {
            i.add(d);
        }
    }

    void setCapacity(DiskState d, long capacity, long reserved) {
        FreeIndex[] in = d.indexes;
        for (FreeIndex i : in) {
            i.remove(d);
        }
        d.capacity = capacity;
        d.reserved = reserved;
        for (FreeIndex i : in) {
            i.add(d);
        }
    }

    void setSchedulable(NodeState n, boolean schedulable) {
        if (n.schedulable == schedulable) {
            return;
        }
        if (!schedulable) {
            for (DiskState d : n.disks) {
                unindex(d);
            }
            n.schedulable = false;
            if (!n.hasZone) {
                schedulableWithoutZone--;
            }
        } else {
            n.schedulable = true;
            if (!n.hasZone) {
                schedulableWithoutZone++;
            }
            for (DiskState d : n.disks) {
                index(d);
            }
        }
    }

    void addNode(NodeState n) {
        nodes.put(n.nameStr, n);
        n.listIndex = nodeList.size();
        nodeList.add(n);
        if (n.schedulable && !n.hasZone) {
            schedulableWithoutZone++;
        }
    }

    void removeNodeEntry(NodeState n) {
        nodes.remove(n.nameStr);
        NodeState last = nodeList.remove(nodeList.size() - 1);
        if (last != n) {
            nodeList.set(n.listIndex, last);
            last.listIndex = n.listIndex;
        }
        if (n.schedulable && !n.hasZone) {
            schedulableWithoutZone--;
        }
    }

    /** Records a hold: capacity, volume-id table, disk list and group membership. */
    void attach(Hold h) {
        addUsed(h.disk, h.bytes);
        h.disk.linkHold(h);
        holds.add(h);
        if (h.group != null) {
            h.group.add(h);
        }
        if (h.state == Hold.COMMITTED) {
            committedCount++;
        }
    }

    void detach(Hold h) {
        addUsed(h.disk, -h.bytes);
        h.disk.unlinkHold(h);
        holds.remove(h);
        if (h.group != null) {
            h.group.remove(h);
            if (h.group.size == 0) {
                groups.remove(h.group.group);
            }
        }
        if (h.state == Hold.COMMITTED) {
            committedCount--;
        }
    }

    GroupState groupFor(OwnerGroup g) {
        GroupState gs = groups.get(g);
        if (gs == null) {
            // Namespaces and claim template names repeat across thousands of StatefulSets; sharing
            // one String each saves ~25 bytes per allocation towards the 200-byte budget.
            OwnerGroup canonical = new OwnerGroup(intern(g.namespace()), g.statefulSet(), intern(g.claimTemplate()));
            gs = new GroupState(canonical);
            groups.put(canonical, gs);
        }
        return gs;
    }

    /** Bounded by the number of distinct namespaces and claim template names ever seen. */
    private String intern(String s) {
        String known = names.putIfAbsent(s, s);
        return known == null ? s : known;
    }
}
