package dev.ordinal.driver.backend;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.driver.model.VolumeCapability;
import dev.ordinal.driver.model.VolumeStats;
import java.util.Map;

/**
 * The node side of one kind of storage: every Node RPC that concerns a volume, in the driver's records. The gRPC
 * edge has checked that the fields are present; the backend checks the paths against the publish roots, finds the
 * volume from its id alone (nothing of its own must survive a restart but what is on disk), serializes calls per
 * volume and mounts. Every call is idempotent; undoing what is not there is OK.
 *
 * <p>{@link NodeRouter} chooses the backend by volume id.
 */
public interface NodeBackend {

    /** Whether the volume id has this backend's form (the volume need not exist). */
    boolean ownsVolume(String volumeId);

    /** @param context the volume context CreateVolume answered (a backend may need it to find the volume) */
    void stage(String volumeId, String stagingPath, VolumeCapability capability, Map<String, String> context);

    void unstage(String volumeId, String stagingPath);

    void publish(String volumeId, String stagingPath, String targetPath, boolean readOnly,
            VolumeCapability capability);

    void unpublish(String volumeId, String targetPath);

    /**
     * Makes the published volume as large as the controller recorded (at least {@code requiredBytes} when the CO
     * says, else 0) and returns that size.
     */
    Capacity expand(String volumeId, String volumePath, long requiredBytes);

    VolumeStats stats(String volumeId, String volumePath);
}
