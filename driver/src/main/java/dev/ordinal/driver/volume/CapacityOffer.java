package dev.ordinal.driver.volume;

import dev.ordinal.allocator.model.Capacity;

/** GetCapacity's answer: free space in all, the largest volume that fits on one disk, the smallest allowed. */
public record CapacityOffer(Capacity available, Capacity maximumVolumeSize, Capacity minimumVolumeSize) {
}
