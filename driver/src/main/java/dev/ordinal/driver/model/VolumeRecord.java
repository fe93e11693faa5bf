package dev.ordinal.driver.model;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.contract.claim.VolumeIdentity;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A volume as it exists: what CreateVolume made, stored next to the volume's data so that it is the durable
 * truth. {@code parameters} are the StorageClass parameters that define the volume (the claim metadata that
 * external-provisioner adds is kept apart, in {@code claim}). {@code identity} is the StatefulSet ordinal resolved
 * when the volume was made; it is kept, never resolved again, so a retried CreateVolume answers what the first did.
 */
public record VolumeRecord(VolumeId id, String csiName, Layout layout, Capacity capacity, boolean block,
        String fsType, Map<String, String> parameters, ClaimRef claim, ContentSource source, Instant createdAt,
        Optional<VolumeIdentity> identity) {

    public VolumeRecord {
        parameters = java.util.Collections.unmodifiableMap(new TreeMap<>(parameters));
        fsType = fsType == null ? "" : fsType;
        source = source == null ? ContentSource.NONE : source;
        identity = identity == null ? Optional.empty() : identity;
    }

    /** A volume of no known StatefulSet ordinal. */
    public VolumeRecord(VolumeId id, String csiName, Layout layout, Capacity capacity, boolean block, String fsType,
            Map<String, String> parameters, ClaimRef claim, ContentSource source, Instant createdAt) {
        this(id, csiName, layout, capacity, block, fsType, parameters, claim, source, createdAt, Optional.empty());
    }

    public VolumeRecord withCapacity(Capacity newCapacity) {
        return new VolumeRecord(id, csiName, layout, newCapacity, block, fsType, parameters, claim, source,
                createdAt, identity);
    }
}
