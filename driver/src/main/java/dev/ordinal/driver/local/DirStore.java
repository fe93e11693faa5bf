package dev.ordinal.driver.local;

import dev.ordinal.driver.host.Trees;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.Copies;
import dev.ordinal.driver.host.DurableFiles;
import dev.ordinal.driver.host.Filesystems;
import dev.ordinal.driver.host.FilesystemStats;
import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.model.VolumeStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A plain directory: no size limit (the size is only accounted), for development and tests of higher layers. */
final class DirStore extends BoundTreeStore {

    static final DirStore INSTANCE = new DirStore();

    private DirStore() {
    }

    @Override
    public void provision(VolumeFiles files, long bytes) {
        try {
            Files.createDirectories(files.data());
        } catch (IOException e) {
            throw new DriverError.Internal("cannot create " + files.data() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void destroy(VolumeFiles files) {
        try {
            Trees.deleteRecursively(files.data());
        } catch (IOException e) {
            throw new DriverError.Internal("cannot remove " + files.data() + ": " + e.getMessage(), e);
        }
    }





    @Override
    public boolean backingPresent(VolumeFiles files) {
        return Files.isDirectory(files.data());
    }

    @Override
    public VolumeStats usage(VolumeFiles files, VolumeRecord record, Path volumePath) {
        // Without a limit the honest numbers are those of the filesystem the directory lives on.
        FilesystemStats fs = Filesystems.stats(volumePath);
        return new VolumeStats(fs.totalBytes(), fs.availableBytes(), fs.usedBytes(), fs.totalInodes(),
                fs.usedInodes(), fs.freeInodes(), false, false, "");
    }

    @Override
    public void snapshot(VolumeFiles volume, VolumeFiles snapshot, MountTable mounts) {
        // A plain directory cannot be frozen: its copy is as consistent as the writers make it (dir is for tests).
        copyTree(volume.data(), snapshot.data());
    }

    @Override
    public void copy(VolumeFiles source, VolumeFiles target, long bytes, MountTable mounts) {
        copyTree(source.data(), target.data());
    }

    @Override
    public void grow(VolumeFiles files, long bytes) {
        // No limit to raise: the new size is only accounted.
    }

    @Override
    public boolean growInPlace(VolumeFiles files, VolumeRecord record, Path volumePath, MountTable mounts) {
        return true;
    }

    /** Copies into a temporary name first, so that a copy cut short by a crash is never taken for a whole one. */
    static void copyTree(Path source, Path target) {
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        try {
            Trees.deleteRecursively(partial);
            if (Files.exists(target)) {
                return;
            }
            Copies.tree(source, partial);
            // The copy's data on disk before its name (and then the metadata) says it is whole.
            DurableFiles.syncTree(partial);
            Files.move(partial, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            DurableFiles.syncDirectory(target.getParent());
        } catch (IOException e) {
            throw new DriverError.Internal("cannot copy " + source + " to " + target + ": " + e.getMessage(), e);
        }
    }
}
