package dev.ordinal.driver.local;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.Btrfs;
import dev.ordinal.driver.host.Filesystems;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Turns a configured disk (name, directory, optional capacity) into a {@link LocalDisk}: finds its filesystem,
 * the layouts it can offer and its capacity.
 */
public final class DiskSetup {

    private static final Logger LOG = Logger.getLogger(DiskSetup.class);

    private DiskSetup() {
    }

    /**
     * @param create whether to create a missing root; off for real disks, where a missing directory usually means
     *     the disk is not mounted and writing there would fill the root filesystem instead
     */
    public static LocalDisk open(DiskName name, Path root, Optional<Capacity> capacity, boolean create) {
        Path dir = root.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            if (!create) {
                throw new DriverError.FailedPrecondition("disk " + name + ": directory " + dir + " does not exist");
            }
            mkdirs(dir);
        }
        mkdirs(dir.resolve(LocalDisk.VOLUMES));
        mkdirs(dir.resolve(LocalDisk.SNAPSHOTS));
        String filesystem = Filesystems.typeOf(dir);
        Set<Layout> layouts = EnumSet.of(Layout.IMAGE, Layout.DIR);
        if (filesystem.equals("btrfs")) {
            if (!Btrfs.quotaEnabled(dir)) {
                // A subvolume's size limit is its qgroup limit, which needs quota accounting on.
                LOG.infof("disk=%s enabling btrfs quota on %s for subvolume size limits", name, dir);
                Btrfs.enableQuota(dir);
            }
            layouts.add(Layout.SUBVOLUME);
        }
        Capacity size = capacity.orElseGet(() -> Capacity.ofBytes(Filesystems.stats(dir).totalBytes()));
        LOG.infof("disk=%s path=%s filesystem=%s capacity=%s layouts=%s", name, dir, filesystem, size, layouts);
        return new LocalDisk(name, dir, size, filesystem, layouts);
    }

    /** Whether the disk can take new volumes right now: its volumes directory is there and writable. */
    public static boolean usable(LocalDisk disk) {
        Path volumes = disk.volumesDir();
        return Files.isDirectory(volumes) && Files.isWritable(volumes);
    }

    private static void mkdirs(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new DriverError.Internal("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }
}
