package dev.ordinal.controller.nodeloss;

import dev.ordinal.controller.model.OrdinalClaim;
import java.util.Optional;

/**
 * A StatefulSet claim bound to a volume. {@code node} is the node a local volume lives on (from the
 * PersistentVolume's node affinity, or its id {@code local:<node>:<disk>:<name>}); empty for a volume that no node
 * holds (NFS: no node affinity), which survives any node and is never released. {@code reclaimPolicy} is the
 * volume's, for messages: what happens to it once its claim is gone.
 */
public record PlacedClaim(OrdinalClaim id, String uid, String resourceVersion, boolean deleting, String volumeName,
        String volumeHandle, String reclaimPolicy, Optional<String> node) {
}
