package dev.ordinal.driver.local;

import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.LoopDevices;
import dev.ordinal.driver.host.MountEntry;
import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.host.Mounter;
import dev.ordinal.driver.host.Trees;
import dev.ordinal.driver.model.VolumeCapability;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.model.VolumeStats;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The node side of local volumes: staging, publishing and their undoing, and usage. What is mounted where is
 * always read from the kernel, so every call is idempotent and right after a restart.
 */
public final class LocalMounts {

    private final LocalVolumes volumes;

    public LocalMounts(LocalVolumes volumes) {
        this.volumes = volumes;
    }

    public void stage(VolumeRecord record, Path staging, VolumeCapability capability) {
        VolumeFiles files = volumes.files(record.id());
        LayoutStore store = volumes.store(record);
        requireBacking(store, files, record.id());
        Trees.createDirectories(staging);
        MountTable mounts = MountTable.read();
        Optional<MountEntry> current = mounts.at(staging);
        if (current.isPresent()) {
            // Already staged: the same volume there is success (a retry); anything else is a conflict.
            Optional<MountEntry> expected = store.expectedTree(files, mounts);
            if (expected.isPresent() && current.get().sameTreeAs(expected.get())) {
                return;
            }
            throw new DriverError.AlreadyExists("staging path " + staging + " already has " + current.get().source()
                    + " mounted, not volume " + record.id());
        }
        store.stage(files, record, staging, capability);
    }

    public void unstage(VolumeRecord record, Path staging) {
        VolumeFiles files = volumes.files(record.id());
        Mounter.unmount(staging);
        volumes.store(record).release(files, MountTable.read());
    }

    public void publish(VolumeRecord record, Path staging, Path target, boolean readOnly,
            VolumeCapability capability) {
        VolumeFiles files = volumes.files(record.id());
        LayoutStore store = volumes.store(record);
        requireBacking(store, files, record.id());
        MountTable mounts = MountTable.read();
        if (record.block()) {
            publishBlock(record, files, target, readOnly, capability, mounts);
            return;
        }
        Optional<MountEntry> expected = store.expectedTree(files, mounts);
        Optional<MountEntry> staged = mounts.at(staging);
        if (staged.isEmpty() || expected.isEmpty() || !staged.get().sameTreeAs(expected.get())) {
            throw new DriverError.FailedPrecondition("volume " + record.id() + " is not staged at " + staging
                    + "; call NodeStageVolume first");
        }
        Trees.createDirectories(target);
        Optional<MountEntry> current = mounts.at(target);
        if (current.isPresent()) {
            if (current.get().sameTreeAs(staged.get())) {
                if (current.get().readOnly() != readOnly) {
                    throw new DriverError.AlreadyExists("volume " + record.id() + " is already published at " + target
                            + " " + (current.get().readOnly() ? "read-only" : "read-write") + ", not "
                            + (readOnly ? "read-only" : "read-write"));
                }
                return;
            }
            throw new DriverError.AlreadyExists("target path " + target + " already has " + current.get().source()
                    + " mounted, not volume " + record.id());
        }
        Mounter.bind(staging, target, readOnly, capability.mountFlags());
    }

    /**
     * A block publish binds a loop device's node onto the target file: the read-write device the stage attached,
     * or for a read-only publish a read-only device of its own over the same image, so that the kernel refuses the
     * pod's writes (a read-only bind of a device node would not: it protects the node, not the device).
     */
    private static void publishBlock(VolumeRecord record, VolumeFiles files, Path target, boolean readOnly,
            VolumeCapability capability, MountTable mounts) {
        Path staged = ImageStore.device(files).orElseThrow(() -> new DriverError.FailedPrecondition(
                "block volume " + record.id() + " is not staged (no loop device); call NodeStageVolume first"));
        Optional<MountEntry> current = mounts.at(target);
        if (current.isPresent()) {
            // A retry: the target shows one of this volume's devices, read-only or not as asked.
            for (Path device : LoopDevices.backing(files.image())) {
                Optional<MountEntry> tree = mounts.treeOf(device);
                if (tree.isPresent() && current.get().sameTreeAs(tree.get())) {
                    boolean publishedReadOnly = LoopDevices.readOnly(device);
                    if (publishedReadOnly != readOnly) {
                        throw new DriverError.AlreadyExists("volume " + record.id() + " is already published at "
                                + target + " " + (publishedReadOnly ? "read-only" : "read-write") + ", not "
                                + (readOnly ? "read-only" : "read-write"));
                    }
                    return;
                }
            }
            throw new DriverError.AlreadyExists("target path " + target + " already has " + current.get().source()
                    + " mounted, not volume " + record.id());
        }
        Path source = readOnly ? ImageStore.readOnlyDevice(files) : staged;
        createFile(target);
        try {
            Mounter.bind(source, target, readOnly, capability.mountFlags());
        } catch (RuntimeException e) {
            if (readOnly) {
                ImageStore.releaseUnboundReadOnly(files.image(), MountTable.read());
            }
            throw e;
        }
    }

    public void unpublish(VolumeRecord record, Path target) {
        unpublish(target);
        if (record.block()) {
            // A read-only publish had a device of its own; the last read-only target takes it away. A retry (or a
            // crash between the unmount and here) finds it unbound and detaches it then.
            ImageStore.releaseUnboundReadOnly(volumes.files(record.id()).image(), MountTable.read());
        }
    }

    private static void unpublish(Path target) {
        Mounter.unmount(target);
        try {
            Files.deleteIfExists(target);
        } catch (DirectoryNotEmptyException e) {
            // Not ours to empty: files written into an unmounted target belong to whoever wrote them.
            throw new DriverError.FailedPrecondition("target path " + target
                    + " is not mounted but holds files; it was left in place");
        } catch (IOException e) {
            throw new DriverError.Internal("cannot remove target path " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * The node's half of an expansion on a published volume. Returns false when the filesystem could not grow
     * online (ext4 on a kernel that refuses it): it then grows at the volume's next stage.
     */
    public boolean expand(VolumeRecord record, Path volumePath) {
        VolumeFiles files = volumes.files(record.id());
        LayoutStore store = volumes.store(record);
        requireBacking(store, files, record.id());
        return store.growInPlace(files, record, volumePath, MountTable.read());
    }

    public VolumeStats stats(VolumeRecord record, Path volumePath) {
        VolumeFiles files = volumes.files(record.id());
        LayoutStore store = volumes.store(record);
        if (!store.backingPresent(files)) {
            return new VolumeStats(0, 0, 0, 0, 0, 0, record.block(), true, "the data of volume " + record.id()
                    + " is missing from disk " + record.id().disk());
        }
        MountTable mounts = MountTable.read();
        Optional<MountEntry> current = mounts.at(volumePath);
        Optional<MountEntry> expected = store.expectedTree(files, mounts);
        boolean mounted = current.isPresent() && (expected.isPresent() && current.get().sameTreeAs(expected.get())
                || record.block() && LoopDevices.readOnlyDevices(files.image()).stream().map(mounts::treeOf)
                        .flatMap(Optional::stream).anyMatch(current.get()::sameTreeAs));
        if (!mounted) {
            VolumeStats usage = record.block() ? VolumeStats.block(record.capacity().bytes(), false, "")
                    : new VolumeStats(0, 0, 0, 0, 0, 0, false, false, "");
            return usage.withCondition(true, "volume " + record.id() + " is not mounted at " + volumePath);
        }
        return store.usage(files, record, volumePath).withCondition(false, "volume is healthy");
    }

    private static void requireBacking(LayoutStore store, VolumeFiles files, VolumeId id) {
        if (!store.backingPresent(files)) {
            throw new DriverError.FailedPrecondition("the data of volume " + id + " is missing from its disk ("
                    + files.dir() + ")");
        }
    }

    private static void createFile(Path path) {
        try {
            Files.createDirectories(path.getParent());
            if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                Files.createFile(path);
            }
        } catch (IOException e) {
            throw new DriverError.Internal("cannot create block target file " + path + ": " + e.getMessage(), e);
        }
    }
}
