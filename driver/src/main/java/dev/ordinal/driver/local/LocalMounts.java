package dev.ordinal.driver.local;

import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.Beneath;
import dev.ordinal.driver.host.CreatedPaths;
import dev.ordinal.driver.host.DurableFiles;
import dev.ordinal.driver.host.LoopDevices;
import dev.ordinal.driver.host.MountEntry;
import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.host.Mounter;
import dev.ordinal.driver.host.RootedPath;
import dev.ordinal.driver.model.AccessMode;
import dev.ordinal.driver.model.VolumeCapability;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.model.VolumeStats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The node side of local volumes: staging, publishing and their undoing, and usage. What is mounted where is
 * always read from the kernel, so every call is idempotent and right after a restart.
 */
public final class LocalMounts {

    private final LocalVolumes volumes;
    private final CreatedPaths created;

    public LocalMounts(LocalVolumes volumes, CreatedPaths created) {
        this.volumes = volumes;
        this.created = created;
    }

    public void stage(VolumeRecord record, RootedPath staging, VolumeCapability capability) {
        VolumeFiles files = volumes.files(record.id());
        LayoutStore store = volumes.store(record);
        requireBacking(store, files, record.id());
        // The CO makes the staging directory; it is made here too (through no link) for COs that do not, and never
        // removed: it is not ours.
        requireDirectory("staging_target_path", staging, Beneath.makeDirectory(staging));
        MountTable mounts = MountTable.read();
        Optional<MountEntry> current = mounts.at(staging.path());
        Optional<MountEntry> expected = store.expectedTree(files, mounts);
        if (current.isPresent()) {
            // Already staged: the same volume there, staged the same way, is success (a retry); anything else is a
            // conflict.
            if (expected.isPresent() && current.get().sameTreeAs(expected.get())) {
                requireSameStage(record, staging, current.get(), capability);
                return;
            }
            throw new DriverError.AlreadyExists("staging path " + staging + " already has " + describe(current.get())
                    + " mounted, not volume " + record.id());
        }
        if (!record.fsType().isEmpty() && !capability.fsType().isEmpty()
                && !capability.fsType().equals(record.fsType())) {
            throw new DriverError.InvalidArgument("volume " + record.id() + " holds a " + record.fsType()
                    + " filesystem, not " + capability.fsType());
        }
        // One staging path per volume and node: a second one is an incompatible stage.
        Optional<MountEntry> elsewhere = expected.flatMap(tree -> mounts.showing(tree).stream().findFirst());
        if (!record.block() && elsewhere.isPresent()) {
            throw new DriverError.AlreadyExists("volume " + record.id() + " is already staged (mounted at "
                    + elsewhere.get().mountPoint() + "), not at " + staging);
        }
        if (record.block()) {
            Optional<Path> stagedAt = blockStagedAt(files);
            if (stagedAt.isPresent() && !stagedAt.get().equals(staging.path())) {
                throw new DriverError.AlreadyExists("block volume " + record.id() + " is already staged at "
                        + stagedAt.get() + ", not at " + staging);
            }
            // Recorded before the attach: a crash in between leaves a record without a device, which counts as
            // not staged (blockStagedAt), so the next stage, at any path, goes ahead.
            recordBlockStaging(files, staging);
        }
        store.stage(files, record, staging, capability);
    }

    /**
     * Where a block volume is staged, if it is: the recorded staging path while its read-write loop device is
     * attached. A record without a device is left by a crash between the record and the attach, or between the
     * detach and the removal, or by a reboot: the volume is not staged. A device without a record (staged before
     * the record existed) cannot say where; it is taken as staged at the path asked.
     */
    private static Optional<Path> blockStagedAt(VolumeFiles files) {
        if (LoopDevices.writable(files.image()).isEmpty()) {
            return Optional.empty();
        }
        try {
            return Files.isRegularFile(files.blockStaging())
                    ? Optional.of(Path.of(Files.readString(files.blockStaging()).strip()))
                    : Optional.empty();
        } catch (IOException e) {
            throw new DriverError.Internal("cannot read " + files.blockStaging() + ": " + e.getMessage(), e);
        }
    }

    private static void recordBlockStaging(VolumeFiles files, RootedPath staging) {
        try {
            if (Files.isRegularFile(files.blockStaging())
                    && Files.readString(files.blockStaging()).strip().equals(staging.path().toString())) {
                return;
            }
            DurableFiles.writeAtomically(files.blockStaging(),
                    (staging.path() + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new DriverError.Internal("cannot record the staging path of a block volume in "
                    + files.blockStaging() + ": " + e.getMessage(), e);
        }
    }

    /** Removed once the volume's read-write device is gone (after the detach: a crash before it keeps it). */
    private static void forgetBlockStaging(VolumeFiles files) {
        try {
            if (Files.deleteIfExists(files.blockStaging())) {
                DurableFiles.syncDirectory(files.dir());
            }
        } catch (IOException e) {
            throw new DriverError.Internal("cannot remove " + files.blockStaging() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Unmounts the volume from {@code staging} only if what is mounted there is this volume; another mount there
     * is refused and left alone, and nothing mounted is success (already unstaged).
     */
    public void unstage(VolumeRecord record, RootedPath staging) {
        VolumeFiles files = volumes.files(record.id());
        LayoutStore store = volumes.store(record);
        MountTable mounts = MountTable.read();
        Optional<MountEntry> current = mounts.at(staging.path());
        if (current.isPresent()) {
            requireOurs(record, store, files, mounts, current.get(), "staging_target_path", staging);
            Mounter.unmount(staging, current.get());
        }
        if (record.block()) {
            Optional<Path> stagedAt = blockStagedAt(files);
            if (stagedAt.isPresent() && !stagedAt.get().equals(staging.path())) {
                // Staged elsewhere: nothing of the volume is staged at this path (the spec's OK), and its device
                // stays for the stage that has it.
                return;
            }
        }
        store.release(files, MountTable.read());
        if (record.block() && LoopDevices.writable(files.image()).isEmpty()) {
            forgetBlockStaging(files);
        }
    }

    public void publish(VolumeRecord record, RootedPath staging, RootedPath target, boolean readOnly,
            VolumeCapability capability) {
        VolumeFiles files = volumes.files(record.id());
        LayoutStore store = volumes.store(record);
        requireBacking(store, files, record.id());
        MountTable mounts = MountTable.read();
        if (record.block()) {
            publishBlock(record, store, files, target, readOnly, capability, mounts);
            return;
        }
        Optional<MountEntry> expected = store.expectedTree(files, mounts);
        Optional<MountEntry> staged = mounts.at(staging.path());
        if (staged.isEmpty() || expected.isEmpty() || !staged.get().sameTreeAs(expected.get())) {
            throw new DriverError.FailedPrecondition("volume " + record.id() + " is not staged at " + staging
                    + "; call NodeStageVolume first");
        }
        Optional<MountEntry> current = mounts.at(target.path());
        if (current.isPresent()) {
            if (current.get().sameTreeAs(staged.get())) {
                if (current.get().readOnly() != readOnly) {
                    throw new DriverError.AlreadyExists("volume " + record.id() + " is already published at " + target
                            + " " + (current.get().readOnly() ? "read-only" : "read-write") + ", not "
                            + (readOnly ? "read-only" : "read-write"));
                }
                return;
            }
            throw new DriverError.AlreadyExists("target path " + target + " already has " + describe(current.get())
                    + " mounted, not volume " + record.id());
        }
        requireSingleWriter(record, capability, mounts, staged.get(), staging, target);
        makeTarget(record, target);
        Mounter.bind(staging, target, readOnly, capability.mountFlags());
    }

    /**
     * A block publish binds a loop device's node onto the target file: the read-write device the stage attached,
     * or for a read-only publish a read-only device of its own over the same image, so that the kernel refuses the
     * pod's writes (a read-only bind of a device node would not: it protects the node, not the device).
     */
    private void publishBlock(VolumeRecord record, LayoutStore store, VolumeFiles files, RootedPath target,
            boolean readOnly, VolumeCapability capability, MountTable mounts) {
        Path staged = store.blockDevice(files).orElseThrow(() -> new DriverError.FailedPrecondition(
                "block volume " + record.id() + " is not staged (no loop device); call NodeStageVolume first"));
        Optional<MountEntry> current = mounts.at(target.path());
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
            throw new DriverError.AlreadyExists("target path " + target + " already has " + describe(current.get())
                    + " mounted, not volume " + record.id());
        }
        Optional<MountEntry> stagedTree = mounts.treeOf(staged);
        if (stagedTree.isPresent()) {
            requireSingleWriter(record, capability, mounts, stagedTree.get(), null, target);
        }
        makeTarget(record, target);
        Path source = readOnly ? store.readOnlyBlockDevice(files) : staged;
        try {
            Mounter.bind(RootedPath.own(source), target, readOnly, capability.mountFlags());
        } catch (RuntimeException e) {
            if (readOnly) {
                store.releaseReadOnlyBlockDevices(files, MountTable.read());
            }
            throw e;
        }
    }

    /** The spec: a volume with access mode SINGLE_NODE_SINGLE_WRITER is published at one target only. */
    private static void requireSingleWriter(VolumeRecord record, VolumeCapability capability, MountTable mounts,
            MountEntry tree, RootedPath staging, RootedPath target) {
        if (capability.mode() != AccessMode.SINGLE_NODE_SINGLE_WRITER) {
            return;
        }
        Optional<MountEntry> other = mounts.showing(tree).stream()
                .filter(m -> (staging == null || !m.mountPoint().equals(staging.path()))
                        && !m.mountPoint().equals(target.path()))
                .findFirst();
        if (other.isPresent()) {
            throw new DriverError.FailedPrecondition("volume " + record.id() + " has access mode "
                    + "SINGLE_NODE_SINGLE_WRITER and is already published at " + other.get().mountPoint());
        }
    }

    /**
     * Unmounts the volume from {@code target} only if what is mounted there is this volume, then removes the
     * directory or block file only if this volume's publish created it (and it is still that object, empty).
     * Another mount there is refused and left alone; a path where nothing of ours is, is success (the spec's
     * idempotent unpublish), whatever else is there.
     */
    public void unpublish(VolumeRecord record, RootedPath target) {
        VolumeFiles files = volumes.files(record.id());
        LayoutStore store = volumes.store(record);
        MountTable mounts = MountTable.read();
        for (Optional<MountEntry> current = mounts.at(target.path()); current.isPresent();
                current = mounts.at(target.path())) {
            requireOurs(record, store, files, mounts, current.get(), "target_path", target);
            Mounter.unmount(target, current.get());
            mounts = MountTable.read();
        }
        created.remove(record.id().toString(), target);
        if (record.block()) {
            // A read-only publish had a device of its own; the last read-only target takes it away. A retry (or a
            // crash between the unmount and here) finds it unbound and detaches it then.
            store.releaseReadOnlyBlockDevices(files, mounts);
        }
    }

    /**
     * The target as the spec wants it: made by us (a directory, or an empty file for block), or for a mount an
     * existing empty directory. A non-empty directory, a file we did not make, or anything else is refused.
     */
    private void makeTarget(VolumeRecord record, RootedPath target) {
        String kind = record.block() ? "file" : "dir";
        Beneath.Made made = created.make(record.id().toString(), target, kind);
        if (made.created()) {
            return;
        }
        boolean ours = created.find(record.id().toString(), target.path()).isPresent();
        Beneath.Found found = Beneath.stat(target);
        if (!found.kind().equals(kind)) {
            throw new DriverError.FailedPrecondition("target path " + target + " is " + found.describe() + ", not a "
                    + (record.block() ? "file for a block device" : "directory") + "; it was left in place");
        }
        if (record.block() && !ours) {
            throw new DriverError.FailedPrecondition("target path " + target + " is " + found.describe()
                    + " that this driver did not create; a block volume is published only onto a file it creates");
        }
        if (!record.block() && !found.empty()) {
            throw new DriverError.FailedPrecondition("target path " + target + " is " + found.describe()
                    + "; a volume is published only onto an empty directory");
        }
    }

    /** Per-mount options a stage's flags show in mountinfo, which a retry must ask for again. */
    private static final java.util.Set<String> VISIBLE_FLAGS = java.util.Set.of("noexec", "nodev", "nosuid",
            "noatime", "nodiratime");

    /** A retried stage must ask for what is staged: the same filesystem, read-only or not, and mount flags. */
    private static void requireSameStage(VolumeRecord record, RootedPath staging, MountEntry current,
            VolumeCapability capability) {
        if (!record.fsType().isEmpty() && !capability.fsType().isEmpty()
                && !capability.fsType().equals(current.fsType())) {
            throw new DriverError.AlreadyExists("volume " + record.id() + " is staged at " + staging + " as "
                    + current.fsType() + ", not " + capability.fsType());
        }
        if (current.readOnly() != capability.mode().readOnly()) {
            throw new DriverError.AlreadyExists("volume " + record.id() + " is staged at " + staging + " "
                    + (current.readOnly() ? "read-only" : "read-write") + ", not as asked");
        }
        java.util.Set<String> shown = java.util.Set.of(current.options().split(","));
        for (String flag : capability.mountFlags()) {
            if (VISIBLE_FLAGS.contains(flag) && !shown.contains(flag)) {
                throw new DriverError.AlreadyExists("volume " + record.id() + " is staged at " + staging
                        + " without mount flag " + flag);
            }
        }
    }

    private static void requireOurs(VolumeRecord record, LayoutStore store, VolumeFiles files, MountTable mounts,
            MountEntry current, String field, RootedPath path) {
        // Any mount of the volume (its filesystem, a bind of its data or of its loop device node) shows its tree.
        Optional<MountEntry> expected = store.expectedTree(files, mounts);
        if (expected.isPresent() && current.sameTreeAs(expected.get()) || showsReadOnlyDevice(record, files, mounts,
                current)) {
            return;
        }
        throw new DriverError.FailedPrecondition(field + " " + path + " has " + describe(current)
                + " mounted, which is not volume " + record.id() + "; it was left in place");
    }

    /** Whether a mount shows one of the read-only loop devices a read-only block publish attached for the volume. */
    private static boolean showsReadOnlyDevice(VolumeRecord record, VolumeFiles files, MountTable mounts,
            MountEntry current) {
        return record.block() && LoopDevices.readOnlyDevices(files.image()).stream().map(mounts::treeOf)
                .flatMap(Optional::stream).anyMatch(current::sameTreeAs);
    }

    private static void requireDirectory(String field, RootedPath path, Beneath.Made made) {
        if (!made.kind().equals("dir")) {
            throw new DriverError.FailedPrecondition(field + " " + path + " is a " + made.kind()
                    + ", not a directory");
        }
    }

    /** What a mount is, for a message: its source and type, and what of it is shown. */
    static String describe(MountEntry entry) {
        return entry.source() + " (" + entry.fsType() + (entry.root().equals("/") ? "" : ", " + entry.root()) + ")";
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
                || showsReadOnlyDevice(record, files, mounts, current.get()));
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
}
