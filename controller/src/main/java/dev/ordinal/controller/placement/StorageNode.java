package dev.ordinal.controller.placement;

import java.util.List;
import java.util.Map;

/**
 * One node's storage: an {@code OrdinalNode} (topology labels, disks), and whether new volumes may land there.
 *
 * @param schedulable false when the OrdinalNode is cordoned, or the Kubernetes Node is cordoned, not Ready or gone
 */
public record StorageNode(String name, Map<String, String> topology, boolean schedulable, List<StorageDisk> disks) {

    public StorageNode {
        topology = Map.copyOf(topology);
        disks = List.copyOf(disks);
    }
}
