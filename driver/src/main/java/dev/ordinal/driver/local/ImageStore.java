package dev.ordinal.driver.local;

import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.Copies;
import dev.ordinal.driver.host.DurableFiles;
import dev.ordinal.driver.host.Filesystems;
import dev.ordinal.driver.host.FilesystemStats;
import dev.ordinal.driver.host.LoopDevices;
import dev.ordinal.driver.host.MountEntry;
import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.host.RootedPath;
import dev.ordinal.driver.host.Mounter;
import dev.ordinal.driver.host.Preallocation;
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
 * A preallocated image file attached through a loop device: the filesystem on it (ext4 or xfs) is the hard size
 * limit, and block access is the loop device itself. Every block of the image is taken at creation (and at each
 * expansion), so that a full disk refuses the next CreateVolume instead of a write inside this one. The
 * filesystem is made when the volume is first staged, so that CreateVolume stays cheap and a volume made for
 * block access is never formatted.
 */
final class ImageStore implements LayoutStore {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(ImageStore.class);

    static final ImageStore INSTANCE = new ImageStore();

    private ImageStore() {
    }

    @Override
    public void provision(VolumeFiles files, long bytes) {
        // Every block of the image is taken now (preallocated, not written): a volume promised N bytes can always
        // be written to N bytes. A sparse image took blocks only as it was written, and on a full disk a write
        // inside the promised size failed ("critical space allocation error"; issue 24, item 5).
        try {
            if (!Files.exists(files.image())) {
                Files.createFile(files.image());
            }
            Preallocation.reserve(files.image(), bytes, 0, "volume image " + files.image());
        } catch (DriverError.ResourceExhausted e) {
            deleteQuietly(files.image());
            throw e;
        } catch (IOException e) {
            throw new DriverError.Internal("cannot create image " + files.image() + ": " + e.getMessage(), e);
        }
        setLength(files, bytes);
    }

    /**
     * Takes the blocks an image volume made before images were preallocated still lacks (a sparse image), so that
     * every image counted as holding its size really does. On a disk that is already too full for that, the
     * volume stays as it was and the log says so: its unwritten part is then not guaranteed.
     */
    static void reserveLeftSparse(VolumeFiles files, long bytes) {
        if (!Files.isRegularFile(files.image(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            // Data that is missing is reported as such (volume condition); fallocate would create an empty image.
            return;
        }
        try {
            Preallocation.reserve(files.image(), bytes, bytes, "volume image " + files.image());
        } catch (DriverError e) {
            LOG.warnf("recovery could not preallocate %s (%d bytes), a sparse image from an older driver: %s; "
                    + "writes into its unwritten part may fail if the disk fills up", files.image(), bytes,
                    e.getMessage());
        }
    }

    /** Extends the image to {@code bytes} (never shrinks it) and makes its size durable. */
    private static void setLength(VolumeFiles files, long bytes) {
        try (RandomAccessFile image = new RandomAccessFile(files.image().toFile(), "rw")) {
            if (image.length() < bytes) {
                image.setLength(bytes);
            }
            image.getFD().sync();
        } catch (IOException e) {
            throw new DriverError.Internal("cannot set the size of image " + files.image() + " to " + bytes
                    + " bytes: " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warnf("cannot remove %s after a failed allocation: %s", file, e.getMessage());
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
    public void stage(VolumeFiles files, VolumeRecord record, RootedPath staging, VolumeCapability capability) {
        Path device = LoopDevices.attach(files.image());
        long deviceBytes = deviceMatchingImage(files, device);
        if (record.block()) {
            return;
        }
        Optional<String> found = Filesystems.probe(device);
        if (found.isEmpty()) {
            Filesystems.format(device, record.fsType());
        } else if (!found.get().equals(record.fsType())) {
            throw new DriverError.FailedPrecondition("volume " + record.id() + " holds a " + found.get()
                    + " filesystem, not the " + record.fsType() + " it was created with");
        } else if (record.fsType().equals("ext4") && Filesystems.ext4Geometry(device).growsOnto(deviceBytes)) {
            // The image grew (an expansion the kernel would not do online, or a restore into a larger volume):
            // ext4 grows here, before it is mounted.
            LOG.infof("volume=%s growing ext4 offline to %d bytes before mounting", record.id(), deviceBytes);
            Filesystems.growExt4Offline(device);
        }
        Mounter.mount(device, staging, record.fsType(), capability.mode().readOnly(),
                mountOptions(record, capability));
        if (record.fsType().equals("xfs") && !capability.mode().readOnly()
                && Filesystems.xfsBytes(staging.path()) < deviceBytes) {
            LOG.infof("volume=%s growing xfs to %d bytes after mounting", record.id(), deviceBytes);
            Filesystems.growXfs(staging.path());
        }
    }

    /**
     * The capability's mount flags, plus {@code nouuid} for xfs. A restore or clone is a byte copy of its source and
     * keeps its filesystem UUID, and xfs refuses to mount a filesystem whose UUID is already mounted ("Filesystem has
     * duplicate UUID - can't mount"): without it a restore or clone could not be staged while its source (or another
     * copy of the same snapshot) is in use. ext4 has no such check.
     */
    static List<String> mountOptions(VolumeRecord record, VolumeCapability capability) {
        List<String> flags = capability.mountFlags();
        if (!record.fsType().equals("xfs") || flags.contains("nouuid")) {
            return flags;
        }
        List<String> withNoUuid = new java.util.ArrayList<>(flags);
        withNoUuid.add("nouuid");
        return withNoUuid;
    }

    /** The loop device's size after making the kernel re-read the image's, which may have grown. */
    private static long deviceMatchingImage(VolumeFiles files, Path device) {
        long imageBytes;
        try {
            imageBytes = Files.size(files.image());
        } catch (IOException e) {
            throw new DriverError.Internal("cannot read the size of " + files.image() + ": " + e.getMessage(), e);
        }
        long deviceBytes = Filesystems.deviceBytes(device);
        if (deviceBytes < imageBytes) {
            LoopDevices.refreshSize(device);
            deviceBytes = Filesystems.deviceBytes(device);
        }
        return deviceBytes;
    }

    @Override
    public void release(VolumeFiles files, MountTable mounts) {
        for (Path device : LoopDevices.backing(files.image())) {
            // A device still mounted somewhere (a publish not yet undone) must stay attached. A block publish is a
            // bind mount of the device node, which mountinfo lists under the devtmpfs holding the node, never under
            // the device: without the second check an early unstage detached the device under a running pod.
            if (mounts.mountsOfDevice(device).isEmpty() && mounts.bindMountsOf(device).isEmpty()) {
                LoopDevices.detach(device, files.image());
            }
        }
    }

    @Override
    public Optional<MountEntry> expectedTree(VolumeFiles files, MountTable mounts) {
        Optional<Path> device = LoopDevices.writable(files.image());
        if (device.isEmpty()) {
            return Optional.empty();
        }
        List<MountEntry> mounted = mounts.mountsOfDevice(device.get());
        // Any mount of the device shows the same tree; without one, the device node itself is what a block
        // publish shows.
        return mounted.isEmpty() ? mounts.treeOf(device.get()) : Optional.of(mounted.get(0));
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

    @Override
    public void snapshot(VolumeFiles volume, VolumeFiles snapshot, MountTable mounts) {
        // A snapshot may share the volume's extents (a reflink, where the disk can): it is never written, and the
        // blocks the volume will need when it overwrites shared ones are counted as the snapshot's size, which
        // never counts as preallocated (Inventory.refreshCapacity).
        whileFrozen(volume, mounts, () -> copyImage(volume.image(), snapshot.image(), true));
    }

    @Override
    public void copy(VolumeFiles source, VolumeFiles target, long bytes, MountTable mounts) {
        // The source is a snapshot (never mounted) or a volume that may be in use: freeze it if it is mounted.
        // A real copy, then every block of it taken (grow): a volume sharing extents with its source would need a
        // new block at each first write into them, which a full disk cannot give.
        whileFrozen(source, mounts, () -> copyImage(source.image(), target.image(), false));
        grow(target, bytes);
    }

    @Override
    public void grow(VolumeFiles files, long bytes) {
        long before;
        try {
            before = Files.size(files.image());
        } catch (IOException e) {
            throw new DriverError.Internal("cannot read the size of " + files.image() + ": " + e.getMessage(), e);
        }
        // The blocks first, the size after: a full disk leaves the image (and the volume) as it was.
        Preallocation.reserve(files.image(), bytes, before, "growing image " + files.image() + " to " + bytes
                + " bytes");
        setLength(files, bytes);
    }

    @Override
    public boolean growInPlace(VolumeFiles files, VolumeRecord record, Path volumePath, MountTable mounts) {
        Path device = LoopDevices.writable(files.image()).orElseThrow(
                () -> new DriverError.FailedPrecondition("volume " + record.id() + " is not staged on this node; it "
                        + "grows when it is next staged"));
        // A read-only device of a read-only block publish shows the new size too.
        for (Path attached : LoopDevices.backing(files.image())) {
            deviceMatchingImage(files, attached);
        }
        if (record.block()) {
            return true;
        }
        if (record.fsType().equals("xfs")) {
            Filesystems.growXfs(volumePath);
            return true;
        }
        return Filesystems.growExt4Online(device);
    }

    /**
     * Runs {@code copy} with the volume's filesystem frozen when it is mounted read-write, so that every write
     * acknowledged before the snapshot is in the copy and none is half in it. A block volume cannot be frozen by
     * the driver: its copy is crash-consistent, like pulling the power.
     */
    private static void whileFrozen(VolumeFiles volume, MountTable mounts, Runnable copy) {
        Optional<Path> mountPoint = LoopDevices.backing(volume.image()).stream()
                .flatMap(device -> mounts.mountsOfDevice(device).stream())
                .filter(entry -> !entry.readOnly())
                .map(MountEntry::mountPoint)
                .findFirst();
        if (mountPoint.isEmpty()) {
            copy.run();
            return;
        }
        Filesystems.freeze(mountPoint.get());
        try {
            copy.run();
        } finally {
            Filesystems.unfreeze(mountPoint.get());
        }
    }

    /**
     * Thaws the filesystems of the image volumes under {@code volumesDir} that a crash left frozen. A snapshot or
     * clone of a mounted volume freezes it for the copy; a driver killed during the copy never thawed it, so every
     * write of the pod hung and the retried snapshot's own freeze failed (EBUSY) for good. Only the driver freezes
     * these filesystems, and recovery runs before anything is served, so a filesystem frozen now was left so by a
     * crash.
     */
    static void thawLeftFrozen(Path volumesDir) {
        MountTable mounts = null;
        for (java.util.Map.Entry<Path, Path> loop : LoopDevices.all().entrySet()) {
            if (!loop.getValue().startsWith(volumesDir)) {
                continue;
            }
            mounts = mounts == null ? MountTable.read() : mounts;
            Optional<MountEntry> mounted = mounts.mountsOfDevice(loop.getKey()).stream()
                    .filter(entry -> !entry.readOnly()).findFirst();
            if (mounted.isPresent() && Filesystems.thawIfFrozen(mounted.get().mountPoint())) {
                LOG.warnf("recovery thawed the filesystem of %s at %s, left frozen by a snapshot or clone that a "
                        + "crash interrupted", loop.getValue(), mounted.get().mountPoint());
            }
        }
    }

    /** The kernel names a loop device's backing file by its real path, links above the disk resolved. */
    private static Path realPath(Path dir) {
        try {
            return dir.toRealPath();
        } catch (IOException e) {
            return dir;
        }
    }

    /** Copies under a temporary name, so that a copy cut short by a crash is never taken for a whole one. */
    private static void copyImage(Path source, Path target, boolean shareExtents) {
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        try {
            Files.deleteIfExists(partial);
            if (Files.exists(target)) {
                Files.delete(target);
            }
            Copies.file(source, partial, shareExtents);
            // The copy's data on disk before its name (and then the metadata) says it is whole.
            DurableFiles.syncTree(partial);
            Files.move(partial, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            DurableFiles.syncDirectory(target.getParent());
        } catch (IOException e) {
            throw new DriverError.Internal("cannot copy " + source + " to " + target + ": " + e.getMessage(), e);
        }
    }

    /** The loop device a read-write block publish binds onto its target, present only while the volume is staged. */
    @Override
    public Optional<Path> blockDevice(VolumeFiles files) {
        return LoopDevices.writable(files.image());
    }

    /**
     * The read-only loop device a read-only block publish binds onto its target, attached on first need. A
     * read-only bind mount of the read-write device would not do: the mount flag protects the device node, not the
     * device, and a pod opening the node for writing wrote into the volume (issue 24, item 3). The kernel refuses
     * every write to a loop device attached read-only, whichever node it is reached through. Read-write targets of
     * the same volume keep the read-write device.
     */
    @Override
    public Path readOnlyBlockDevice(VolumeFiles files) {
        return LoopDevices.attachReadOnly(files.image());
    }

    /**
     * Detaches the volume's read-only devices that no target binds any more: after a read-only unpublish, after a
     * failed read-only publish, and at recovery for those a crash left between the attach and the bind or between
     * the unbind and the detach.
     */
    @Override
    public void releaseReadOnlyBlockDevices(VolumeFiles files, MountTable mounts) {
        for (Path device : LoopDevices.readOnlyDevices(files.image())) {
            if (mounts.mountsOfDevice(device).isEmpty() && mounts.bindMountsOf(device).isEmpty()) {
                LoopDevices.detach(device, files.image());
            }
        }
    }

    /**
     * Detaches the read-only devices of the image volumes under {@code volumesDir} that no target binds: only
     * read-only publishes attach such devices, so one without a bind mount was left by a crash. (A read-write
     * device without a mount is a staged block volume and stays.)
     */
    static void releaseLeftReadOnly(Path volumesDir) {
        Path realDir = realPath(volumesDir);
        MountTable mounts = null;
        for (java.util.Map.Entry<Path, Path> loop : LoopDevices.all().entrySet()) {
            boolean ours = loop.getValue().startsWith(volumesDir) || loop.getValue().startsWith(realDir);
            if (!ours || !LoopDevices.readOnly(loop.getKey())) {
                continue;
            }
            mounts = mounts == null ? MountTable.read() : mounts;
            if (mounts.mountsOfDevice(loop.getKey()).isEmpty() && mounts.bindMountsOf(loop.getKey()).isEmpty()) {
                LOG.warnf("recovery detached read-only loop device %s of %s, which no target binds: left by a "
                        + "read-only publish or unpublish that a crash interrupted", loop.getKey(), loop.getValue());
                LoopDevices.detach(loop.getKey(), loop.getValue());
            }
        }
    }
}
