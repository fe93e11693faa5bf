package dev.ordinal.driver.nfs;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.contract.claim.VolumeIdentity;
import dev.ordinal.driver.model.ClaimRef;
import dev.ordinal.driver.model.ContentSource;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An NFS volume as it exists: a subdirectory of an export and its metadata in
 * {@code <export>/.ordinal/volumes/<hash of csiName>.properties}. {@code capacity} is a soft limit: NFS enforces
 * nothing per directory, the node reports a volume that uses more.
 */
public record NfsVolume(NfsVolumeId id, String csiName, Capacity capacity, Map<String, String> parameters,
        ClaimRef claim, ContentSource source, Instant createdAt, Optional<VolumeIdentity> identity) {

    public NfsVolume {
        parameters = Collections.unmodifiableMap(new TreeMap<>(parameters));
        source = source == null ? ContentSource.NONE : source;
        identity = identity == null ? Optional.empty() : identity;
    }

    public NfsVolume withCapacity(Capacity grown) {
        return new NfsVolume(id, csiName, grown, parameters, claim, source, createdAt, identity);
    }

    public OnDelete onDelete() {
        return OnDelete.parse(parameters.getOrDefault(NfsParameters.ON_DELETE, "delete"));
    }

    public List<String> mountOptions() {
        return NfsParameters.splitOptions(parameters.getOrDefault(NfsParameters.MOUNT_OPTIONS, ""));
    }
}
