package dev.ordinal.driver.model;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Layout;
import java.time.Instant;

/**
 * A snapshot as it exists: a point-in-time copy of {@code source}, kept on the source's disk. {@code size} is the
 * source's capacity when the snapshot was taken: the smallest volume it can be restored into. It outlives its
 * source, so the source's layout, access type and filesystem are kept here too.
 */
public record SnapshotRecord(SnapshotId id, String csiName, VolumeId source, Layout layout, Capacity size,
        boolean block, String fsType, Instant createdAt) {

    public SnapshotRecord {
        fsType = fsType == null ? "" : fsType;
    }
}
