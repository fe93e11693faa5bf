package dev.ordinal.driver.volume;

import dev.ordinal.driver.model.SnapshotRecord;
import java.util.List;

/** One page of ListSnapshots, and the token for the next (empty when this is the last page). */
public record SnapshotPage(List<SnapshotRecord> snapshots, String nextToken) {
}
