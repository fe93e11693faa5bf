package dev.ordinal.controller.ordering;

import dev.ordinal.controller.model.OrdinalClaim;
import java.time.Instant;

/**
 * What ordered binding knows of one claim of a StatefulSet template.
 *
 * @param preBound its {@code spec.volumeName} names a volume already: it binds to that one, nothing is provisioned
 * @param admitted it carries {@code ordinal.csi.dev/admitted: "true"}
 * @param mode     what its StatefulSet and class ask for ({@link OrderingMode#OFF} for a claim of another driver)
 */
public record OrderedClaim(OrdinalClaim id, ClaimPhase phase, boolean preBound, boolean deleting, boolean admitted,
        OrderingMode mode, Instant created) {

    /** Nothing for ordered binding to do: it needs no provisioning, or has its admission already. */
    boolean settled() {
        return phase != ClaimPhase.PENDING || preBound || deleting || admitted || !mode.gated();
    }
}
