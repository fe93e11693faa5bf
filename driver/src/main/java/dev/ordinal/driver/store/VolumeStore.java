package dev.ordinal.driver.store;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.driver.model.HeldVolume;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import java.time.Instant;
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

    /**
     * Whether this store can hold deleted volumes for a grace ({@link #hold}); a store that cannot deletes them at
     * once, as before.
     */
    default boolean holdsDeleted() {
        return false;
    }

    /**
     * Moves a deleted volume's data aside on its disk (a rename, no copy) and records when it may be purged; durable
     * when this returns. A volume already held is answered as held.
     */
    default HeldVolume hold(VolumeRecord record, Instant heldAt, Instant purgeAt) {
        throw new UnsupportedOperationException("this store holds no deleted volumes");
    }

    /** Every held volume, after finishing the holds, returns and purges a crash interrupted ({@link #recover}). */
    default List<HeldVolume> held() {
        return List.of();
    }

    /**
     * Brings a held volume back as {@code wanted} (same id, disk and data; its new name, claim and size, grown to
     * that size when larger); durable when this returns. A volume already back as {@code wanted} is answered as is.
     */
    default VolumeRecord restore(HeldVolume held, VolumeRecord wanted) {
        throw new UnsupportedOperationException("this store holds no deleted volumes");
    }

    /** Removes a held volume's data; one already gone is fine. */
    default void purge(HeldVolume held) {
        throw new UnsupportedOperationException("this store holds no deleted volumes");
    }

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
