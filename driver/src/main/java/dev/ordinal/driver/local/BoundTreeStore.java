package dev.ordinal.driver.local;

import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.MountEntry;
import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.host.RootedPath;
import dev.ordinal.driver.host.Mounter;
import dev.ordinal.driver.model.VolumeCapability;
import dev.ordinal.driver.model.VolumeRecord;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The layouts whose data is a directory tree on the disk (a plain directory or a btrfs subvolume): staged by a
 * bind mount of {@code data/}, so every stage and publish of the volume shows the same (device, root) in mountinfo.
 */
abstract sealed class BoundTreeStore implements LayoutStore permits DirStore, SubvolumeStore {

    @Override
    public boolean inUse(VolumeFiles files, MountTable mounts) {
        return !mounts.bindMountsOf(files.data()).isEmpty();
    }

    @Override
    public void stage(VolumeFiles files, VolumeRecord record, RootedPath staging, VolumeCapability capability) {
        Mounter.bind(RootedPath.own(files.data()), staging, capability.mode().readOnly(), capability.mountFlags());
    }

    @Override
    public void release(VolumeFiles files, MountTable mounts) {
        // A bind mount holds nothing else.
    }

    @Override
    public Optional<MountEntry> expectedTree(VolumeFiles files, MountTable mounts) {
        return mounts.treeOf(files.data());
    }

    /** A tree has no device: block access is made only of images (the controller refuses anything else). */
    @Override
    public Optional<Path> blockDevice(VolumeFiles files) {
        return Optional.empty();
    }

    @Override
    public Path readOnlyBlockDevice(VolumeFiles files) {
        throw new DriverError.FailedPrecondition("volume " + files.dir().getFileName() + " is a directory tree, "
                + "not an image: it has no block device to publish");
    }

    @Override
    public void releaseReadOnlyBlockDevices(VolumeFiles files, MountTable mounts) {
        // No device was ever attached.
    }
}
