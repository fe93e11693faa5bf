package dev.ordinal.driver.backend;

import dev.ordinal.driver.model.CapacityRange;
import dev.ordinal.driver.model.VolumeCapability;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The controller side of one kind of storage (local disks, NFS exports): every Controller RPC that concerns a
 * volume or snapshot, in the driver's records. The gRPC edge has checked the request's fields; the backend checks
 * what only it can (its parameters, its ids, its capacity) and answers with the CSI spec's errors as
 * {@link dev.ordinal.driver.error.DriverError}s. Every call is idempotent.
 *
 * <p>{@link ControllerRouter} chooses the backend: by StorageClass parameters for CreateVolume and GetCapacity,
 * by id for everything else.
 */
public interface ControllerBackend {

    /** Whether CreateVolume and GetCapacity with these StorageClass parameters are for this backend. */
    boolean servesParameters(Map<String, String> parameters);

    /** Whether the volume id has this backend's form (the volume need not exist). */
    boolean ownsVolume(String volumeId);

    /** Whether the snapshot id has this backend's form (the snapshot need not exist). */
    boolean ownsSnapshot(String snapshotId);

    /** Makes the volume, or answers the one of that name made before if it is compatible (ALREADY_EXISTS if not). */
    VolumeSummary create(CreateVolumeSpec spec);

    /** Deletes the volume; one that does not exist (any more) is OK. */
    void delete(String volumeId);

    /**
     * Why the volume cannot serve the capabilities or was not made with the parameters (when some are given), as a
     * sentence; empty when it serves them. NOT_FOUND for a volume that does not exist.
     */
    Optional<String> unsupported(String volumeId, List<VolumeCapability> capabilities,
            Map<String, String> parameters);

    /** The room for new volumes of these parameters and capabilities in the given topology segment. */
    CapacityOffer capacity(Map<String, String> parameters, List<VolumeCapability> capabilities,
            Map<String, String> segment);

    /** Grows the volume to at least the range's required bytes; a volume already that large is OK. */
    ExpansionResult expand(String volumeId, CapacityRange range);

    /** At most {@code limit} volumes with ids after {@code after} (null: from the start), in id order. */
    Slice<VolumeSummary> volumes(String after, int limit);

    /** Takes the snapshot, or answers the one of that name taken before of the same source (ALREADY_EXISTS if not). */
    SnapshotSummary createSnapshot(String name, String sourceVolumeId);

    /** Deletes the snapshot; one that does not exist (any more) is OK. */
    void deleteSnapshot(String snapshotId);

    /**
     * At most {@code limit} snapshots with ids after {@code after} (null: from the start), in id order; only the
     * one of {@code snapshotId} and only those of {@code sourceVolumeId} when they are not empty.
     */
    Slice<SnapshotSummary> snapshots(String after, int limit, String snapshotId, String sourceVolumeId);
}
