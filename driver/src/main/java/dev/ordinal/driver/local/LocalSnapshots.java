package dev.ordinal.driver.local;

import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.model.SnapshotId;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.store.SnapshotStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Snapshots on this node's disks: {@code <disk>/snapshots/<name>} holds a read-only copy of the source volume's
 * data (a btrfs snapshot, a reflinked or sparse copy of the image, or a copied directory) and its metadata,
 * written last. A snapshot does not depend on its source: deleting the volume leaves the snapshot whole.
 */
public final class LocalSnapshots implements SnapshotStore {

    private final LocalVolumes volumes;

    public LocalSnapshots(LocalVolumes volumes) {
        this.volumes = volumes;
    }

    /** Finishes interrupted deletions, removes unfinished snapshots, and returns the snapshots that exist. */
    @Override
    public List<SnapshotRecord> recover() {
        List<SnapshotRecord> found = new ArrayList<>();
        for (LocalDisk disk : volumes.disks()) {
            found.addAll(volumes.sweep(disk, disk.snapshotsDir(),
                    files -> MetadataFile.readSnapshot(files.snapshotMetadata()), true));
        }
        return found;
    }

    /** The snapshots whose metadata exists, touching nothing (see {@link LocalVolumes#list()}). */
    public List<SnapshotRecord> list() {
        List<SnapshotRecord> found = new ArrayList<>();
        for (LocalDisk disk : volumes.disks()) {
            found.addAll(volumes.sweep(disk, disk.snapshotsDir(),
                    files -> MetadataFile.readSnapshot(files.snapshotMetadata()), false));
        }
        return found;
    }

    /** Takes the snapshot, or finishes taking it; the record is durable when this returns. */
    @Override
    public SnapshotRecord create(SnapshotRecord snapshot, VolumeRecord source) {
        VolumeFiles files = volumes.snapshotFiles(snapshot.id());
        LocalVolumes.makeEntry(files);
        LayoutStore.of(source.layout()).snapshot(volumes.files(source.id()), files, MountTable.read());
        MetadataFile.write(files.snapshotMetadata(), snapshot);
        return snapshot;
    }

    @Override
    public Optional<SnapshotRecord> read(SnapshotId id) {
        if (!id.node().equals(volumes.node().value())
                || volumes.disk(new dev.ordinal.allocator.model.DiskName(id.disk())).isEmpty()) {
            return Optional.empty();
        }
        return MetadataFile.readSnapshot(volumes.snapshotFiles(id).snapshotMetadata());
    }

    /** Removes the snapshot; one that does not exist is already deleted. */
    @Override
    public void delete(SnapshotRecord snapshot) {
        LocalVolumes.remove(volumes.snapshotFiles(snapshot.id()));
    }
}
