package dev.ordinal.driver.store;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * Where the controller side makes the volumes the allocator placed: this node's own disks (the all-in-one
 * driver), or any node's through the OrdinalVolume resources its agent serves (a cluster). Every method is
 * idempotent and returns only when the change is durable; failures are DriverErrors with the CSI code to report.
 */
public interface VolumeStore {

    /** Every volume that exists, after finishing or undoing what a crash interrupted. */
    List<VolumeRecord> recover();

    VolumeRecord create(VolumeRecord record);

    /** A restore: the new volume holds the snapshot's data (on the snapshot's disk). */
    VolumeRecord createFrom(VolumeRecord record, SnapshotRecord snapshot);

    /** A clone: the new volume holds a copy of the source volume's data (on the source's disk). */
    VolumeRecord createFrom(VolumeRecord record, VolumeRecord source);

    /** The volume may now hold {@code grown.capacity()}; returns when the store records it. */
    VolumeRecord grow(VolumeRecord grown);

    void delete(VolumeRecord record);

    Optional<VolumeRecord> read(VolumeId id);

    /** Refuses (FAILED_PRECONDITION) an id of ours that this store can never serve, so it is not forgotten. */
    void requireServes(VolumeId id);

    /**
     * What each of this store's own disks can hold for volumes right now, given the bytes of each that its
     * volumes already hold (preallocated); empty where the disks are others' (a cluster: each node's agent
     * reports its own).
     */
    default Map<Placement, Capacity> usableCapacities(ToLongFunction<Placement> preallocated) {
        return Map.of();
    }

    /** The largest disk offering the layout: a volume larger than it could never be made. */
    Optional<Capacity> largestDisk(Layout layout);
}
