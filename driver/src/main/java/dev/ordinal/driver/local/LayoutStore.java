package dev.ordinal.driver.local;

import dev.ordinal.allocator.model.Layout;
import dev.ordinal.driver.host.MountEntry;
import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.host.RootedPath;
import dev.ordinal.driver.model.VolumeCapability;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.model.VolumeStats;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What differs between the volume layouts: how the data is made and removed, what makes the staging path show
 * the volume, and how usage is measured. Every method is idempotent, because every RPC may be retried after a
 * crash at any point.
 */
sealed interface LayoutStore permits ImageStore, BoundTreeStore {

    static LayoutStore of(Layout layout) {
        return switch (layout) {
            case IMAGE -> ImageStore.INSTANCE;
            case SUBVOLUME -> SubvolumeStore.INSTANCE;
            case DIR -> DirStore.INSTANCE;
        };
    }

    /** Creates the data with a size limit of {@code bytes}, or finishes a creation a crash interrupted. */
    void provision(VolumeFiles files, long bytes);

    /** Removes the data; what is already gone is fine. */
    void destroy(VolumeFiles files);

    /** Whether the volume is staged or published anywhere on this node. */
    boolean inUse(VolumeFiles files, MountTable mounts);

    /** Makes {@code staging} show the volume (for block access: makes the device exist). */
    void stage(VolumeFiles files, VolumeRecord record, RootedPath staging, VolumeCapability capability);

    /** Undoes what {@link #stage} set up beyond the staging mount itself (a loop device, for images). */
    void release(VolumeFiles files, MountTable mounts);

    /**
     * The mount that a correctly staged (or published) path shows for this volume: used to recognise an
     * existing stage or publish and to report a volume that is no longer mounted.
     */
    Optional<MountEntry> expectedTree(VolumeFiles files, MountTable mounts);

    /** Whether the data itself is still where it should be. */
    boolean backingPresent(VolumeFiles files);

    /** Usage of the volume as seen at {@code volumePath}, a path where it is mounted. */
    VolumeStats usage(VolumeFiles files, VolumeRecord record, Path volumePath);

    /**
     * Copies the volume's data, as it is at this moment, into {@code snapshot}. A volume in use is frozen for the
     * copy where its layout allows, so the snapshot is consistent.
     */
    void snapshot(VolumeFiles volume, VolumeFiles snapshot, MountTable mounts);

    /** Makes {@code target}'s data a writable copy of {@code source}'s (a snapshot or a volume), of {@code bytes}. */
    void copy(VolumeFiles source, VolumeFiles target, long bytes, MountTable mounts);

    /** The controller's half of an expansion: the volume may now hold {@code bytes}. */
    void grow(VolumeFiles files, long bytes);

    /**
     * The node's half of an expansion, on a staged or published volume: the device and filesystem take up the new
     * size. Returns false when that has to wait for the next stage.
     */
    boolean growInPlace(VolumeFiles files, VolumeRecord record, Path volumePath, MountTable mounts);

    /** For block access: the read-write device a stage made for the volume, while it exists. */
    Optional<Path> blockDevice(VolumeFiles files);

    /** For a read-only block publish: a device of the volume through which the kernel refuses every write. */
    Path readOnlyBlockDevice(VolumeFiles files);

    /** Undoes {@link #readOnlyBlockDevice} for the devices no target binds any more; what is gone is fine. */
    void releaseReadOnlyBlockDevices(VolumeFiles files, MountTable mounts);
}
