package dev.ordinal.allocator;

import dev.ordinal.allocator.model.NodeName;

import java.util.Arrays;
import java.util.Map;

/** Mutable per-node state, guarded by the allocator lock. */
final class NodeState {
    final NodeName name;
    final String nameStr;
    final Map<String, String> labels;
    /** Zone value used by zone spread; nodes without the zone label share the zone "". */
    final String zone;
    final boolean hasZone;
    boolean schedulable;
    /** Sorted by disk name, so scans visit disks in a history-independent order. */
    DiskState[] disks = new DiskState[0];
    /** Position in ClusterState.nodeList, for O(1) removal. */
    int listIndex;
    /**
     * Scratch counters for spread: the planner stamps nodes holding ordinals of the request's group
     * with its current epoch instead of building a set per request. Only touched under the lock.
     */
    int markEpoch;
    int markCount;

    NodeState(NodeName name, Map<String, String> labels, String zoneKey, boolean schedulable) {
        this.name = name;
        this.nameStr = name.value();
        this.labels = labels;
        String z = labels.get(zoneKey);
        this.hasZone = z != null;
        this.zone = z == null ? "" : z;
        this.schedulable = schedulable;
    }

    /** Range-probe node for FreeIndex lookups: its empty name sorts first. */
    static NodeState probe() {
        return new NodeState();
    }

    private NodeState() {
        this.name = null;
        this.nameStr = "";
        this.labels = Map.of();
        this.zone = "";
        this.hasZone = false;
    }

    DiskState disk(String diskName) {
        for (DiskState d : disks) {
            if (d.nameStr.equals(diskName)) {
                return d;
            }
        }
        return null;
    }

    void addDisk(DiskState d) {
        DiskState[] n = Arrays.copyOf(disks, disks.length + 1);
        n[disks.length] = d;
        Arrays.sort(n, (a, b) -> a.nameStr.compareTo(b.nameStr));
        disks = n;
    }

    void removeDisk(DiskState d) {
        DiskState[] n = new DiskState[disks.length - 1];
        int j = 0;
        for (DiskState x : disks) {
            if (x != d) {
                n[j++] = x;
            }
        }
        disks = n;
    }
}
