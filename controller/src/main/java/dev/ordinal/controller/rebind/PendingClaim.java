package dev.ordinal.controller.rebind;

import dev.ordinal.controller.model.OrdinalClaim;
import java.util.Optional;
import java.util.Set;

/**
 * A claim of a StatefulSet template as binding sees it. {@code storageClass} is resolved: the claim's own, or the
 * default class's name when it names none ("" for the explicit no-class). {@code volumeMode} is defaulted
 * ({@code Filesystem}), as the API server does. {@code skipped}: it carries {@code ordinal.csi.dev/rebind: skipped}.
 */
public record PendingClaim(OrdinalClaim id, String uid, String resourceVersion, boolean pending,
        Optional<String> volumeName, boolean deleting, boolean skipped, String storageClass, Size request,
        Set<String> accessModes, String volumeMode) {

    /** Waiting for a volume: Pending, not pre-bound, not being deleted. */
    public boolean waiting() {
        return pending && volumeName.isEmpty() && !deleting;
    }
}
