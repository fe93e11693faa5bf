package dev.ordinal.controller.retention;

import dev.ordinal.controller.model.OrdinalClaim;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One claim as retention sees it: which ordinal it is, its owner references, and, while a scale-down grace period
 * runs, since when it has been scaled down (the annotation {@code ordinal.csi.dev/scaled-down-since}).
 */
public record ClaimState(
        OrdinalClaim claim,
        String uid,
        String resourceVersion,
        List<OwnerRef> owners,
        Optional<Instant> scaledDownSince,
        boolean deleting) {

    public ClaimState {
        owners = List.copyOf(owners);
    }
}
