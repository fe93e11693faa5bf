package dev.ordinal.driver.volume;

import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.local.LocalMounts;
import dev.ordinal.driver.local.LocalVolumes;
import dev.ordinal.driver.model.VolumeCapability;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.model.VolumeStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The node side of volumes: find the volume from its id alone (no state of our own survives a restart but the
 * disks), serialize calls per volume, check the paths, then let the local backend mount.
 */
public final class NodeVolumeService {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(NodeVolumeService.class);

    private final LocalVolumes volumes;
    private final LocalMounts mounts;
    private final VolumeLocks locks;
    private final NodePaths paths;

    public NodeVolumeService(LocalVolumes volumes, VolumeLocks locks, NodePaths paths) {
        this.volumes = volumes;
        this.mounts = new LocalMounts(volumes);
        this.locks = locks;
        this.paths = paths;
    }

    public void stage(String volumeId, String stagingPath, VolumeCapability capability) {
        Path staging = paths.check("staging_target_path", stagingPath);
        VolumeRecord record = find(volumeId);
        requireCompatible(record, capability);
        try (VolumeLocks.Held lock = locks.acquire(record.id().toString(), "NodeStageVolume")) {
            mounts.stage(record, staging, capability);
        }
    }

    public void unstage(String volumeId, String stagingPath) {
        Path staging = paths.check("staging_target_path", stagingPath);
        VolumeRecord record = find(volumeId);
        try (VolumeLocks.Held lock = locks.acquire(record.id().toString(), "NodeUnstageVolume")) {
            mounts.unstage(record, staging);
        }
    }

    public void publish(String volumeId, String stagingPath, String targetPath, boolean readOnly,
            VolumeCapability capability) {
        Path staging = paths.check("staging_target_path", stagingPath);
        Path target = paths.check("target_path", targetPath);
        VolumeRecord record = find(volumeId);
        requireCompatible(record, capability);
        try (VolumeLocks.Held lock = locks.acquire(record.id().toString(), "NodePublishVolume")) {
            mounts.publish(record, staging, target, readOnly || capability.mode().readOnly(), capability);
        }
    }

    public void unpublish(String volumeId, String targetPath) {
        Path target = paths.check("target_path", targetPath);
        VolumeRecord record = find(volumeId);
        try (VolumeLocks.Held lock = locks.acquire(record.id().toString(), "NodeUnpublishVolume")) {
            mounts.unpublish(record, target);
        }
    }

    /**
     * Grows a published volume's device and filesystem to the size the controller recorded. Returns that size;
     * an ext4 filesystem the kernel will not grow online is logged and grows at the next stage.
     */
    public dev.ordinal.allocator.model.Capacity expand(String volumeId, String volumePath) {
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
