package dev.ordinal.allocator;

import java.util.Comparator;
import java.util.Iterator;
import java.util.TreeSet;

/**
 * Schedulable disks offering one layout (optionally restricted to one label value, e.g. one zone),
 * ordered by free bytes, then node name, then disk name. That order is total and depends only on
 * the model's content, which is what makes decisions deterministic regardless of update history.
 * Also keeps the sum of free bytes so GetCapacity is O(1).
 */
final class FreeIndex {
    static final Comparator<DiskState> ORDER = (a, b) -> {
        int c = Long.compare(a.free(), b.free());
        if (c != 0) {
            return c;
        }
        c = a.node.nameStr.compareTo(b.node.nameStr);
        return c != 0 ? c : a.nameStr.compareTo(b.nameStr);
    };

    private final TreeSet<DiskState> disks = new TreeSet<>(ORDER);
    private long availableBytes;

    void add(DiskState d) {
        disks.add(d);
        availableBytes += Math.max(0, d.free());
    }

    void remove(DiskState d) {
        disks.remove(d);
        availableBytes -= Math.max(0, d.free());
    }

    int size() {
        return disks.size();
    }

    long availableBytes() {
        return availableBytes;
    }

    long maxFree() {
        return disks.isEmpty() ? 0 : Math.max(0, disks.last().free());
    }

    Iterable<DiskState> all() {
        return disks;
    }

    /** Disks with free >= probe's free, ascending. */
    Iterator<DiskState> ascendingFrom(DiskState probe) {
        return disks.tailSet(probe, true).iterator();
    }

    Iterator<DiskState> descending() {
        return disks.descendingIterator();
    }
}
