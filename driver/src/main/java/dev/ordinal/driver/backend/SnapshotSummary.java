package dev.ordinal.driver.backend;

import dev.ordinal.allocator.model.Capacity;
import java.time.Instant;

/**
 * A snapshot as the CO is told about it, whichever backend holds it. Every backend takes snapshots synchronously,
 * so one that exists is ready to use. {@code size} is the smallest volume it can be restored into.
 */
public record SnapshotSummary(String id, String sourceVolumeId, Capacity size, Instant createdAt) {
}
