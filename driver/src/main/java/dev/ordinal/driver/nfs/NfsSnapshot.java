package dev.ordinal.driver.nfs;

import dev.ordinal.allocator.model.Capacity;
import java.time.Instant;

/**
 * A snapshot of an NFS volume: a copy of its directory kept on the same export in
 * {@code .ordinal/snapshots/<name>/data}, with {@code snapshot.properties} beside it, written last. {@code size}
 * is the source's capacity when it was taken: the smallest volume it can be restored into.
 */
public record NfsSnapshot(NfsSnapshotId id, String csiName, NfsVolumeId source, Capacity size, Instant createdAt) {
}
