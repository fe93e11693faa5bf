package dev.ordinal.driver.local;

import dev.ordinal.driver.host.Trees;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.Btrfs;
import dev.ordinal.driver.host.Filesystems;
import dev.ordinal.driver.host.FilesystemStats;
import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.model.VolumeStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A btrfs subvolume whose qgroup limit is the volume's size: a hard limit without a filesystem per volume, and
 * copy-on-write snapshots later.
 */
final class SubvolumeStore extends BoundTreeStore {

    static final SubvolumeStore INSTANCE = new SubvolumeStore();

    private SubvolumeStore() {
    }

    @Override
    public void provision(VolumeFiles files, long bytes) {
        if (!Btrfs.isSubvolume(files.data())) {
            if (Files.exists(files.data())) {
                // Only a crash between mkdir and subvolume creation could leave this; it holds nothing.
                DirStore.INSTANCE.destroy(files);
            }
            Btrfs.createSubvolume(files.data());
        }
        Btrfs.limit(files.data(), bytes);
    }

    @Override
    public void destroy(VolumeFiles files) {
        if (Btrfs.isSubvolume(files.data())) {
            Btrfs.deleteSubvolume(files.data());
        }
        try {
            Trees.deleteRecursively(files.data());
        } catch (IOException e) {
            throw new DriverError.Internal("cannot remove " + files.data() + ": " + e.getMessage(), e);
        }
    }





    @Override
    public boolean backingPresent(VolumeFiles files) {
        return Btrfs.isSubvolume(files.data());
    }

    @Override
    public VolumeStats usage(VolumeFiles files, VolumeRecord record, Path volumePath) {
        Btrfs.Usage usage = Btrfs.usage(files.data());
        long limit = usage.limitBytes().orElse(record.capacity().bytes());
        FilesystemStats fs = Filesystems.stats(volumePath);
        long available = Math.max(0, Math.min(limit - usage.referencedBytes(), fs.availableBytes()));
        return new VolumeStats(limit, available, usage.referencedBytes(), fs.totalInodes(), fs.usedInodes(),
                fs.freeInodes(), false, false, "");
    }

    @Override
    public void snapshot(VolumeFiles volume, VolumeFiles snapshot, MountTable mounts) {
        // A btrfs snapshot is atomic and instant: consistent without freezing anything.
        replaceWithSnapshot(volume.data(), snapshot.data(), true);
    }

    @Override
    public void copy(VolumeFiles source, VolumeFiles target, long bytes, MountTable mounts) {
        replaceWithSnapshot(source.data(), target.data(), false);
        Btrfs.limit(target.data(), bytes);
    }

    @Override
    public void grow(VolumeFiles files, long bytes) {
        Btrfs.limit(files.data(), bytes);
    }

    @Override
    public boolean growInPlace(VolumeFiles files, VolumeRecord record, Path volumePath, MountTable mounts) {
        // The limit was raised by the controller; raising it again is harmless and covers a retried expansion.
        Btrfs.limit(files.data(), record.capacity().bytes());
        return true;
    }

    /** A retry after a crash may find a snapshot from the first attempt: it is replaced, never trusted. */
    private static void replaceWithSnapshot(Path source, Path target, boolean readOnly) {
        if (Btrfs.isSubvolume(target)) {
            Btrfs.deleteSubvolume(target);
        }
        Btrfs.snapshot(source, target, readOnly);
    }
}
