package dev.ordinal.controller.rebind;

import dev.ordinal.controller.model.OrdinalClaim;
import dev.ordinal.controller.nodeloss.LostNode;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * A PersistentVolume of Ordinal's, with the identity the driver recorded in its volume context ({@code identity}:
 * the claim of that ordinal it was made for). {@code claimRef} is where its spec.claimRef points; {@code lostNode}
 * is set when the node it lives on is lost by the StatefulSet's node-loss timeout.
 */
public record RetainedVolume(String name, String handle, OrdinalClaim identity, Phase phase, String reclaimPolicy,
        boolean deleting, String storageClass, Size capacity, Set<String> accessModes, String volumeMode,
        Instant created, Optional<ClaimRef> claimRef, Optional<LostNode> lostNode) {

    public enum Phase {
        PENDING, AVAILABLE, BOUND, RELEASED, FAILED, UNKNOWN
    }

    /**
     * spec.claimRef. {@code live}: a claim of that namespace and name exists with that uid (or any claim of that
     * name, when the reference has no uid): the volume is, or is about to be, that claim's.
     */
    public record ClaimRef(String namespace, String name, String uid, boolean live) {
    }

    public boolean retained() {
        return "Retain".equals(reclaimPolicy);
    }
}
