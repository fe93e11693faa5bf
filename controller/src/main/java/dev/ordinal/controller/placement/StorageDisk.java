package dev.ordinal.controller.placement;

import java.util.Set;

/**
 * One disk of an {@code OrdinalNode}'s {@code status.disks}, as its node agent reports it.
 *
 * @param allocatableBytes what the agent counts free: its capacity less its volumes and snapshots on it
 */
public record StorageDisk(String name, Set<String> layouts, long capacityBytes, long allocatableBytes, boolean healthy) {

    public StorageDisk {
        layouts = Set.copyOf(layouts);
    }
}
