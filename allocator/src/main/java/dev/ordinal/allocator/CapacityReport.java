package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Capacity;

/**
 * Answer to CSI GetCapacity for one layout and segment, over schedulable disks only.
 *
 * @param available         sum of free bytes (pending reservations already deducted)
 * @param maximumVolumeSize largest free bytes on a single disk: the biggest volume that could be placed
 * @param disks             number of disks counted
 */
public record CapacityReport(Capacity available, Capacity maximumVolumeSize, int disks) {
}
