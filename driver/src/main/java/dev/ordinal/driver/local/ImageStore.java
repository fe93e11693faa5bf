package dev.ordinal.driver.local;

import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.Filesystems;
import dev.ordinal.driver.host.FilesystemStats;
import dev.ordinal.driver.host.LoopDevices;
import dev.ordinal.driver.host.MountEntry;
import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.host.Mounter;
import dev.ordinal.driver.model.VolumeCapability;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.model.VolumeStats;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A sparse image file attached through a loop device: the filesystem on it (ext4 or xfs) is the hard size limit,
 * and block access is the loop device itself. The filesystem is made when the volume is first staged, so that
 * CreateVolume stays cheap and a volume made for block access is never formatted.
 */
final class ImageStore implements LayoutStore {

    static final ImageStore INSTANCE = new ImageStore();

    private ImageStore() {
    }

    @Override
    public void provision(VolumeFiles files, long bytes) {
        // setLength on a new file makes it sparse: the disk space is taken only as the volume is written.
        try (RandomAccessFile image = new RandomAccessFile(files.image().toFile(), "rw")) {
            if (image.length() != bytes) {
                image.setLength(bytes);
            }
            image.getFD().sync();
        } catch (IOException e) {
            throw new DriverError.Internal("cannot create image " + files.image() + " of " + bytes + " bytes: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void destroy(VolumeFiles files) {
        LoopDevices.detachAll(files.image());
        try {
            Files.deleteIfExists(files.image());
        } catch (IOException e) {
            throw new DriverError.Internal("cannot remove image " + files.image() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean inUse(VolumeFiles files, MountTable mounts) {
        return Files.exists(files.image()) && !LoopDevices.backing(files.image()).isEmpty();
    }

    @Override
    public void stage(VolumeFiles files, VolumeRecord record, Path staging, VolumeCapability capability) {
        Path device = LoopDevices.attach(files.image());
        if (record.block()) {
            return;
        }
        Optional<String> found = Filesystems.probe(device);
        if (found.isEmpty()) {
            Filesystems.format(device, record.fsType());
        } else if (!found.get().equals(record.fsType())) {
            throw new DriverError.FailedPrecondition("volume " + record.id() + " holds a " + found.get()
                    + " filesystem, not the " + record.fsType() + " it was created with");
        }
        Mounter.mount(device, staging, record.fsType(), capability.mode().readOnly(), capability.mountFlags());
    }

    @Override
    public void release(VolumeFiles files, MountTable mounts) {
        for (Path device : LoopDevices.backing(files.image())) {
            // A device still mounted somewhere (a publish not yet undone) must stay attached. A block publish is a
            // bind mount of the device node, which mountinfo lists under the devtmpfs holding the node, never under
            // the device: without the second check an early unstage detached the device under a running pod.
            if (mounts.mountsOfDevice(device).isEmpty() && mounts.bindMountsOf(device).isEmpty()) {
                LoopDevices.detachAll(files.image());
            }
        }
    }

    @Override
    public Optional<MountEntry> expectedTree(VolumeFiles files, MountTable mounts) {
        List<Path> devices = LoopDevices.backing(files.image());
        if (devices.isEmpty()) {
            return Optional.empty();
        }
        List<MountEntry> mounted = mounts.mountsOfDevice(devices.get(0));
        // Any mount of the device shows the same tree; without one, the device node itself is what a block
        // publish shows.
        return mounted.isEmpty() ? mounts.treeOf(devices.get(0)) : Optional.of(mounted.get(0));
    }

    @Override
    public boolean backingPresent(VolumeFiles files) {
        return Files.isRegularFile(files.image());
    }

    @Override
    public VolumeStats usage(VolumeFiles files, VolumeRecord record, Path volumePath) {
        if (record.block()) {
            return VolumeStats.block(record.capacity().bytes(), false, "");
        }
        FilesystemStats fs = Filesystems.stats(volumePath);
        return new VolumeStats(fs.totalBytes(), fs.availableBytes(), fs.usedBytes(), fs.totalInodes(),
                fs.usedInodes(), fs.freeInodes(), false, false, "");
    }

    /** The loop device a block publish binds onto its target, present only while the volume is staged. */
    static Optional<Path> device(VolumeFiles files) {
        return LoopDevices.backing(files.image()).stream().findFirst();
    }
}
