package dev.ordinal.driver.store;

import dev.ordinal.driver.model.SnapshotId;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeRecord;
import java.util.List;
import java.util.Optional;

/** Where snapshots are taken: next to their source, on this node's disks or on the source's node. */
public interface SnapshotStore {

    List<SnapshotRecord> recover();

    SnapshotRecord create(SnapshotRecord snapshot, VolumeRecord source);

    Optional<SnapshotRecord> read(SnapshotId id);

    void delete(SnapshotRecord snapshot);
}
