package dev.ordinal.driver.volume;

import dev.ordinal.allocator.model.Topology;
import dev.ordinal.driver.backend.CapacityOffer;
import dev.ordinal.driver.backend.ControllerBackend;
import dev.ordinal.driver.backend.CreateVolumeSpec;
import dev.ordinal.driver.backend.ExpansionResult;
import dev.ordinal.driver.backend.Slice;
import dev.ordinal.driver.backend.SnapshotSummary;
import dev.ordinal.driver.backend.VolumeSummary;
import dev.ordinal.driver.model.CapacityRange;
import dev.ordinal.driver.model.SnapshotId;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeCapability;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.contract.claim.VolumeIdentity;
import dev.ordinal.driver.model.VolumeRecord;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The controller side of the local backend: volumes and snapshots on the nodes' own disks, placed by the
 * allocator. It is the router's default backend, so it also answers for ids that no backend made.
 */
public final class LocalController implements ControllerBackend {

    private final VolumeService volumes;
    private final SnapshotService snapshots;

    public LocalController(VolumeService volumes, SnapshotService snapshots) {
        this.volumes = volumes;
        this.snapshots = snapshots;
    }

    /** Local volumes have no parameter of their own to recognize them by: they are the default. */
    @Override
    public boolean servesParameters(Map<String, String> parameters) {
        return true;
    }

    @Override
    public boolean ownsVolume(String volumeId) {
        return VolumeId.parse(volumeId).isPresent();
    }

    @Override
    public boolean ownsSnapshot(String snapshotId) {
        return SnapshotId.parse(snapshotId).isPresent();
    }

    @Override
    public VolumeSummary create(CreateVolumeSpec spec) {
        return summary(volumes.create(spec));
    }

    @Override
    public void delete(String volumeId) {
        volumes.delete(volumeId);
    }

    @Override
    public Optional<String> unsupported(String volumeId, List<VolumeCapability> capabilities,
            Map<String, String> parameters) {
        VolumeRecord record = volumes.get(volumeId);
        Optional<String> problem = volumes.unsupported(record, capabilities);
        if (problem.isEmpty() && !parameters.isEmpty()) {
            VolumeParameters asked = VolumeParameters.parse(parameters);
            if (!asked.defining().equals(record.parameters())) {
                problem = Optional.of("volume " + record.id() + " was made with parameters " + record.parameters()
                        + ", not " + asked.defining());
            }
        }
        return problem;
    }

    @Override
    public CapacityOffer capacity(Map<String, String> parameters, List<VolumeCapability> capabilities,
            Map<String, String> segment) {
        if (capabilities.stream().anyMatch(c -> !c.mode().singleNode())) {
            // No local volume can serve several nodes: there is no capacity for such a claim anywhere.
            return CapacityOffer.NONE;
        }
        return volumes.capacity(parameters, segment);
    }

    @Override
    public ExpansionResult expand(String volumeId, CapacityRange range) {
        return volumes.expand(volumeId, range);
    }

    @Override
    public Slice<VolumeSummary> volumes(String after, int limit) {
        return volumes.list(after, limit).map(LocalController::summary);
    }

    @Override
    public SnapshotSummary createSnapshot(String name, String sourceVolumeId) {
        return summary(snapshots.create(name, sourceVolumeId));
    }

    @Override
    public void deleteSnapshot(String snapshotId) {
        snapshots.delete(snapshotId);
    }

    @Override
    public Slice<SnapshotSummary> snapshots(String after, int limit, String snapshotId, String sourceVolumeId) {
        return snapshots.list(after, limit, snapshotId, sourceVolumeId).map(LocalController::summary);
    }

    /**
     * A local volume is reachable from its node only. Its context names its layout and the StatefulSet ordinal it
     * was made for: external-provisioner copies the context into the PersistentVolume's volumeAttributes, where the
     * companion controller finds it after the claim is released.
     */
    static VolumeSummary summary(VolumeRecord record) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put(VolumeParameters.LAYOUT, record.layout().wireName());
        context.putAll(record.identity().map(VolumeIdentity::context).orElse(Map.of()));
        return new VolumeSummary(record.id().toString(), record.capacity(), context, record.source(),
                List.of(Map.of(Topology.NODE_KEY, record.id().node())));
    }

    static SnapshotSummary summary(SnapshotRecord record) {
        return new SnapshotSummary(record.id().toString(), record.source().toString(), record.size(),
                record.createdAt());
    }
}
