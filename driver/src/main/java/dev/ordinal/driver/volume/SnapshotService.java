package dev.ordinal.driver.volume;

import dev.ordinal.allocator.Decision;
import dev.ordinal.allocator.Reservation;
import dev.ordinal.allocator.model.PlacementRequest;
import dev.ordinal.driver.backend.Slice;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.SnapshotId;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeRecord;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * CreateSnapshot, DeleteSnapshot and ListSnapshots. A snapshot is taken on its source's disk, where it can share
 * blocks with it, and its full size is reserved there so that the disk is never promised twice.
 */
public final class SnapshotService {

    private final Inventory inventory;
    private final VolumeLocks locks;
    private final Clock clock;

    public SnapshotService(Inventory inventory, VolumeLocks locks, Clock clock) {
        this.inventory = inventory;
        this.locks = locks;
        this.clock = clock;
    }

    public SnapshotRecord create(String name, String sourceVolumeId) {
        try (VolumeLocks.Held lock = locks.acquire("snapshot/" + name, "CreateSnapshot")) {
            Optional<SnapshotRecord> existing = inventory.snapshotCatalog.byName(name);
            if (existing.isPresent()) {
                if (existing.get().source().toString().equals(sourceVolumeId)) {
                    return existing.get();
                }
                throw new DriverError.AlreadyExists("snapshot " + name + " exists of volume " + existing.get().source()
                        + ", not of " + sourceVolumeId);
            }
            VolumeRecord source = inventory.volume(sourceVolumeId);
            // The source must not be deleted or grown while it is copied.
            try (VolumeLocks.Held sourceLock = locks.acquire(source.id().toString(), "CreateSnapshot " + name)) {
                Reservation reservation = reserve(name, source);
                try {
                    SnapshotId id = new SnapshotId(source.id().node(), source.id().disk(),
                            DirectoryName.of(name, source.claim(), source.id().node(), source.id().disk()));
                    SnapshotRecord snapshot = inventory.snapshots.create(new SnapshotRecord(id, name, source.id(),
                            source.layout(), source.capacity(), source.block(), source.fsType(), clock.instant()),
                            source);
                    reservation.commit();
                    inventory.snapshotCatalog.put(snapshot);
                    return snapshot;
                } catch (RuntimeException e) {
                    reservation.release();
                    throw e;
                }
            }
        }
    }

    /** Deletes a snapshot by id; one this driver never made, or already deleted, is OK. */
    public void delete(String rawId) {
        Optional<SnapshotId> id = SnapshotId.parse(rawId);
        if (id.isEmpty()) {
            return;
        }
        try (VolumeLocks.Held lock = locks.acquire(id.get().toString(), "DeleteSnapshot")) {
            Optional<SnapshotRecord> record = inventory.snapshotCatalog.byId(id.get().toString())
                    .or(() -> inventory.snapshots.read(id.get()));
            if (record.isEmpty()) {
                return;
            }
            inventory.removing(() -> {
                inventory.snapshots.delete(record.get());
                inventory.allocator.removeAllocation(AllocationKeys.snapshot(record.get().csiName()));
                inventory.snapshotCatalog.remove(record.get());
            });
        }
    }

    /**
     * At most {@code limit} snapshots with ids after {@code after} (null: from the start), in id order: all, or
     * only the one of {@code snapshotId}, or only those of {@code sourceVolumeId}.
     */
    public Slice<SnapshotRecord> list(String after, int limit, String snapshotId, String sourceVolumeId) {
        if (!snapshotId.isEmpty()) {
            // Asked by id: that snapshot, or an empty answer when it does not exist (not an error, per the spec).
            List<SnapshotRecord> one = inventory.snapshotCatalog.byId(snapshotId)
                    .filter(s -> sourceVolumeId.isEmpty() || s.source().toString().equals(sourceVolumeId))
                    .map(List::of).orElse(List.of());
            return new Slice<>(one, false);
        }
        if (!sourceVolumeId.isEmpty()) {
            List<SnapshotRecord> ofSource = inventory.snapshotCatalog.all().stream()
                    .filter(s -> s.source().toString().equals(sourceVolumeId))
                    .filter(s -> after == null || s.id().toString().compareTo(after) > 0)
                    .toList();
            List<SnapshotRecord> page = ofSource.stream().limit(limit).toList();
            return new Slice<>(page, !page.isEmpty() && page.size() < ofSource.size());
        }
        List<SnapshotRecord> page = inventory.snapshotCatalog.after(after, limit);
        boolean more = !page.isEmpty() && page.size() >= limit
                && inventory.snapshotCatalog.hasAfter(page.get(page.size() - 1).id().toString());
        return new Slice<>(page, more);
    }

    private Reservation reserve(String name, VolumeRecord source) {
        inventory.refreshCapacity();
        Decision decision = inventory.allocator.place(PlacementRequest.builder(AllocationKeys.snapshot(name),
                source.capacity(), source.layout()).sticky(Inventory.placementOf(source.id())).build());
        return switch (decision) {
            case Decision.Placed placed -> placed.reservation();
            case Decision.Refused refused -> throw refused.reason() == Decision.Reason.IN_FLIGHT
                    ? new DriverError.Aborted("snapshot " + name + ": " + refused.message())
                    : new DriverError.ResourceExhausted("no room for snapshot " + name + " of volume " + source.id()
                            + " (" + source.capacity() + ") on its disk: " + refused.message());
        };
    }
}
