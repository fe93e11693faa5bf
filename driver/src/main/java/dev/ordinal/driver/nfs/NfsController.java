package dev.ordinal.driver.nfs;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.driver.backend.CapacityOffer;
import dev.ordinal.driver.backend.ControllerBackend;
import dev.ordinal.driver.backend.CreateVolumeSpec;
import dev.ordinal.driver.backend.ExpansionResult;
import dev.ordinal.driver.backend.Slice;
import dev.ordinal.driver.backend.SnapshotSummary;
import dev.ordinal.driver.backend.VolumeSummary;
import dev.ordinal.driver.model.CapacityRange;
import dev.ordinal.driver.model.VolumeCapability;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The controller side of the NFS backend: volumes are directories of the exports the driver is given. Its
 * StorageClass parameters name a {@code server}; its ids start with {@code nfs#} (volumes) and {@code nfs-snap#}
 * (snapshots).
 */
public final class NfsController implements ControllerBackend {

    private final NfsVolumeService nfs;

    public NfsController(NfsVolumeService nfs) {
        this.nfs = nfs;
    }

    @Override
    public boolean servesParameters(Map<String, String> parameters) {
        return NfsParameters.isNfs(parameters);
    }

    @Override
    public boolean ownsVolume(String volumeId) {
        return volumeId.startsWith(NfsVolumeId.PREFIX);
    }

    @Override
    public boolean ownsSnapshot(String snapshotId) {
        return snapshotId.startsWith(NfsSnapshotId.PREFIX);
    }

    /** The topology requirement is not read: every node can mount an export. */
    @Override
    public VolumeSummary create(CreateVolumeSpec spec) {
        return summary(nfs.create(spec.name(), spec.capacity(), spec.capabilities(), spec.parameters(),
                spec.source()));
    }

    @Override
    public void delete(String volumeId) {
        nfs.delete(volumeId);
    }

    @Override
    public Optional<String> unsupported(String volumeId, List<VolumeCapability> capabilities,
            Map<String, String> parameters) {
        NfsVolume volume = nfs.get(volumeId);
        Optional<String> problem = nfs.unsupported(capabilities);
        if (problem.isEmpty() && !parameters.isEmpty()) {
            Map<String, String> asked = NfsParameters.parse(parameters).defining();
            if (!asked.equals(volume.parameters())) {
                problem = Optional.of("volume " + volume.id() + " was made with parameters " + volume.parameters()
                        + ", not " + asked);
            }
        }
        return problem;
    }

    /**
     * The export's free space: volumes are soft-limited directories, so any of them fits while space is free.
     * Capabilities and topology do not narrow it.
     */
    @Override
    public CapacityOffer capacity(Map<String, String> parameters, List<VolumeCapability> capabilities,
            Map<String, String> segment) {
        Capacity free = nfs.available(parameters);
        return new CapacityOffer(free, Optional.of(free), Optional.empty());
    }

    /** NFS enforces no size: the recorded size rises, and the node learns it from NodeExpandVolume. */
    @Override
    public ExpansionResult expand(String volumeId, CapacityRange range) {
        return new ExpansionResult(nfs.expand(volumeId, range), true);
    }

    @Override
    public Slice<VolumeSummary> volumes(String after, int limit) {
        List<VolumeSummary> fetched = nfs.volumesAfter(after, Slice.oneMore(limit)).stream()
                .map(NfsController::summary).toList();
        return Slice.ofOneMore(fetched, limit);
    }

    @Override
    public SnapshotSummary createSnapshot(String name, String sourceVolumeId) {
        return summary(nfs.createSnapshot(name, sourceVolumeId));
    }

    @Override
    public void deleteSnapshot(String snapshotId) {
        nfs.deleteSnapshot(snapshotId);
    }

    @Override
    public Slice<SnapshotSummary> snapshots(String after, int limit, String snapshotId, String sourceVolumeId) {
        List<SnapshotSummary> fetched = nfs.snapshotsAfter(after, Slice.oneMore(limit),
                        s -> (snapshotId.isEmpty() || s.id().toString().equals(snapshotId))
                                && (sourceVolumeId.isEmpty() || s.source().toString().equals(sourceVolumeId)))
                .stream().map(NfsController::summary).toList();
        return Slice.ofOneMore(fetched, limit);
    }

    /** An export is reachable from every node: no accessible topology. */
    static VolumeSummary summary(NfsVolume volume) {
        return new VolumeSummary(volume.id().toString(), volume.capacity(), NfsVolumeService.volumeContext(volume),
                volume.source(), List.of());
    }

    static SnapshotSummary summary(NfsSnapshot snapshot) {
        return new SnapshotSummary(snapshot.id().toString(), snapshot.source().toString(), snapshot.size(),
                snapshot.createdAt());
    }
}
