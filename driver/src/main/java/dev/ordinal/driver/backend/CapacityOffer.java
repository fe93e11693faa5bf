package dev.ordinal.driver.backend;

import dev.ordinal.allocator.model.Capacity;
import java.util.Optional;

/**
 * GetCapacity's answer: free space in all, the largest volume that fits, the smallest allowed. A bound is empty
 * when the backend has none to state (NFS has no minimum; nothing fits a claim no volume of the backend can serve).
 */
public record CapacityOffer(Capacity available, Optional<Capacity> maximumVolumeSize,
        Optional<Capacity> minimumVolumeSize) {

    /** No room at all: the backend cannot serve such a claim anywhere. */
    public static final CapacityOffer NONE = new CapacityOffer(Capacity.ZERO, Optional.empty(), Optional.empty());
}
