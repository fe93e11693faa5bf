package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.Placement;

import java.util.Set;

/**
 * Snapshot of one disk.
 *
 * @param used      committed allocations plus pending reservations
 * @param freeBytes capacity - reserved - used; negative if the disk shrank under existing volumes
 * @param volumes   number of allocations and reservations on the disk
 */
public record DiskUsage(Placement disk, Set<Layout> layouts, Capacity capacity, Capacity reserved, Capacity used,
                        long freeBytes, int volumes, boolean schedulable) {
}
