package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.Placement;

import java.util.EnumSet;
import java.util.Set;

/** Mutable per-disk state, guarded by the allocator lock. */
final class DiskState {
    static final FreeIndex[] NO_INDEXES = new FreeIndex[0];

    final NodeState node;
    final DiskName name;
    final String nameStr;
    final int layoutMask;
    /** Cached so decisions do not allocate a Placement per call. */
    final Placement placement;
    long capacity;
    long reserved;
    /** Bytes of committed allocations plus pending reservations. */
    long used;
    int holdCount;
    /** Intrusive list of holds on this disk, so removing a disk costs O(its holds), not O(all holds). */
    Hold firstHold;
    /** Indexes that currently contain this disk; its sort key (free bytes) must not change while in them. */
    FreeIndex[] indexes = NO_INDEXES;

    DiskState(NodeState node, DiskName name, Set<Layout> layouts, long capacity, long reserved) {
        this.node = node;
        this.name = name;
        this.nameStr = name.value();
        int mask = 0;
        for (Layout l : layouts) {
            mask |= 1 << l.ordinal();
        }
        this.layoutMask = mask;
        this.placement = new Placement(node.name, name);
        this.capacity = capacity;
        this.reserved = reserved;
    }

    /** Probe used for range lookups in a FreeIndex: sorts before every real disk with the same free bytes. */
    DiskState(NodeState probeNode) {
        this.node = probeNode;
        this.name = null;
        this.nameStr = "";
        this.layoutMask = 0;
        this.placement = null;
    }

    /** Free bytes; negative when the disk shrank under existing volumes. */
    long free() {
        return capacity - reserved - used;
    }

    boolean offers(Layout layout) {
        return (layoutMask & (1 << layout.ordinal())) != 0;
    }

    Set<Layout> layouts() {
        EnumSet<Layout> s = EnumSet.noneOf(Layout.class);
        for (Layout l : Layout.values()) {
            if (offers(l)) {
                s.add(l);
            }
        }
        return s;
    }

    void linkHold(Hold h) {
        h.nextOnDisk = firstHold;
        h.prevOnDisk = null;
        if (firstHold != null) {
            firstHold.prevOnDisk = h;
        }
        firstHold = h;
        holdCount++;
    }

    void unlinkHold(Hold h) {
        if (h.prevOnDisk != null) {
            h.prevOnDisk.nextOnDisk = h.nextOnDisk;
        } else {
            firstHold = h.nextOnDisk;
        }
        if (h.nextOnDisk != null) {
            h.nextOnDisk.prevOnDisk = h.prevOnDisk;
        }
        h.prevOnDisk = null;
        h.nextOnDisk = null;
        holdCount--;
    }

    @Override
    public String toString() {
        return node.nameStr + "/" + nameStr + " free " + Capacity.format(free());
    }
}
