package dev.ordinal.controller.retention;

import dev.ordinal.controller.model.OrdinalClaim;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One claim as retention sees it: which ordinal it is, its owner references, and, while a scale-down grace period
 * runs, since when it has been scaled down (the annotation {@code ordinal.csi.dev/scaled-down-since}). For
 * snapshot-before-delete: whether it carries the finalizer {@code ordinal.csi.dev/snapshot-before-delete}, and the
 * state of its VolumeSnapshot.
 */
public record ClaimState(
        OrdinalClaim claim,
        String uid,
        String resourceVersion,
        List<OwnerRef> owners,
        Optional<Instant> scaledDownSince,
        boolean deleting,
        boolean snapshotFinalizer,
        ClaimSnapshot snapshot) {

    public ClaimState {
        owners = List.copyOf(owners);
    }

    /** A claim of a StatefulSet without snapshot-before-delete: no finalizer, no snapshot. */
    public ClaimState(OrdinalClaim claim, String uid, String resourceVersion, List<OwnerRef> owners,
            Optional<Instant> scaledDownSince, boolean deleting) {
        this(claim, uid, resourceVersion, owners, scaledDownSince, deleting, false, ClaimSnapshot.none(""));
    }

    public ClaimState withSnapshot(ClaimSnapshot snapshot) {
        return new ClaimState(claim, uid, resourceVersion, owners, scaledDownSince, deleting, snapshotFinalizer, snapshot);
    }
}
