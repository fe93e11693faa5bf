package dev.ordinal.driver.volume;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.driver.backend.NodeBackend;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.RootedPath;
import dev.ordinal.driver.local.LocalMounts;
import dev.ordinal.driver.local.LocalVolumes;
import dev.ordinal.driver.model.VolumeCapability;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.model.VolumeStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The node side of the local backend: find the volume from its id alone (no state of our own survives a restart
 * but the disks), serialize calls per volume, check the paths, then let {@link LocalMounts} mount. It is the
 * router's default backend, so it also answers for ids that no backend made.
 */
public final class NodeVolumeService implements NodeBackend {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(NodeVolumeService.class);

    private final LocalVolumes volumes;
    private final LocalMounts mounts;
    private final VolumeLocks locks;
    private final NodePaths paths;

    public NodeVolumeService(LocalVolumes volumes, LocalMounts mounts, VolumeLocks locks, NodePaths paths) {
        this.volumes = volumes;
        this.mounts = mounts;
        this.locks = locks;
        this.paths = paths;
    }

    @Override
    public boolean ownsVolume(String volumeId) {
        return VolumeId.parse(volumeId).isPresent();
    }

    /** The volume context is not read: a local volume's id says where it is, its metadata the rest. */
    @Override
    public void stage(String volumeId, String stagingPath, VolumeCapability capability, Map<String, String> context) {
        RootedPath staging = paths.resolve("staging_target_path", stagingPath);
        VolumeRecord record = find(volumeId);
        requireCompatible(record, capability);
        requireStageFilesystem(record, capability);
        try (VolumeLocks.Held lock = locks.acquire(record.id().toString(), "NodeStageVolume")) {
            mounts.stage(record, staging, capability);
        }
    }

    @Override
    public void unstage(String volumeId, String stagingPath) {
        RootedPath staging = paths.resolve("staging_target_path", stagingPath);
        VolumeRecord record = find(volumeId);
        try (VolumeLocks.Held lock = locks.acquire(record.id().toString(), "NodeUnstageVolume")) {
            mounts.unstage(record, staging);
        }
    }

    @Override
    public void publish(String volumeId, String stagingPath, String targetPath, boolean readOnly,
            VolumeCapability capability) {
        RootedPath staging = paths.resolve("staging_target_path", stagingPath);
        RootedPath target = paths.resolve("target_path", targetPath);
        VolumeRecord record = find(volumeId);
        requireCompatible(record, capability);
        try (VolumeLocks.Held lock = locks.acquire(record.id().toString(), "NodePublishVolume")) {
            mounts.publish(record, staging, target, readOnly || capability.mode().readOnly(), capability);
        }
    }

    @Override
    public void unpublish(String volumeId, String targetPath) {
        RootedPath target = paths.resolve("target_path", targetPath);
        VolumeRecord record = find(volumeId);
        try (VolumeLocks.Held lock = locks.acquire(record.id().toString(), "NodeUnpublishVolume")) {
            mounts.unpublish(record, target);
        }
    }

    /**
     * Grows a published volume's device and filesystem to the size the controller recorded (which the request's
     * required bytes cannot exceed: the controller grew the volume first). Returns that size; an ext4 filesystem
     * the kernel will not grow online is logged and grows at the next stage.
     */
    @Override
    public Capacity expand(String volumeId, String volumePath, long requiredBytes) {
        Path path = paths.check("volume_path", volumePath);
        VolumeRecord record = find(volumeId);
        if (!Files.exists(path)) {
            throw new DriverError.NotFound("volume_path " + path + " does not exist");
        }
        try (VolumeLocks.Held lock = locks.acquire(record.id().toString(), "NodeExpandVolume")) {
            if (!mounts.expand(record, path)) {
                LOG.warnf("volume=%s the kernel refused to grow its ext4 filesystem online; it grows to %s at the "
                        + "next stage", record.id(), record.capacity());
            }
            return record.capacity();
        }
    }

    @Override
    public VolumeStats stats(String volumeId, String volumePath) {
        Path path = paths.check("volume_path", volumePath);
        VolumeRecord record = find(volumeId);
        if (!Files.exists(path)) {
            throw new DriverError.NotFound("volume_path " + path + " does not exist");
        }
        return mounts.stats(record, path);
    }

    private VolumeRecord find(String rawId) {
        Optional<VolumeId> id = VolumeId.parse(rawId);
        if (id.isEmpty()) {
            throw new DriverError.NotFound("volume " + rawId + " does not exist: it is not an id this driver made");
        }
        if (!id.get().node().equals(volumes.node().value())) {
            throw new DriverError.NotFound("volume " + id.get() + " lives on node " + id.get().node()
                    + ", not on this node (" + volumes.node() + ")");
        }
        return volumes.read(id.get()).orElseThrow(() -> new DriverError.NotFound("volume " + id.get()
                + " does not exist on node " + volumes.node()));
    }

    /**
     * A stage names a filesystem this driver makes (or none): {@code proc}, {@code tmpfs}, {@code nfs} and the like
     * would be accepted and then ignored. A directory volume has its disk's filesystem (btrfs for subvolumes).
     */
    private static void requireStageFilesystem(VolumeRecord record, VolumeCapability capability) {
        String fs = capability.fsType();
        if (capability.block() || fs.isEmpty()) {
            return;
        }
        boolean image = !record.fsType().isEmpty();
        if (!VolumeService.FILESYSTEMS.contains(fs) && (image || !fs.equals("btrfs"))) {
            throw new DriverError.InvalidArgument("fs_type " + fs + " is not a filesystem this driver stages; use "
                    + "one of " + new java.util.TreeSet<>(VolumeService.FILESYSTEMS) + (image ? "" : " or btrfs"));
        }
    }

    private static void requireCompatible(VolumeRecord record, VolumeCapability capability) {
        if (capability.block() != record.block()) {
            throw new DriverError.InvalidArgument("volume " + record.id() + " was made for "
                    + (record.block() ? "block" : "mount") + " access, not " + (capability.block() ? "block" : "mount"));
        }
        if (!capability.mode().singleNode()) {
            throw new DriverError.InvalidArgument("access mode " + capability.mode() + " is not supported by local "
                    + "volume " + record.id());
        }
    }
}
