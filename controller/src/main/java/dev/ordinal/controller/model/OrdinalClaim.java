package dev.ordinal.controller.model;

import dev.ordinal.contract.claim.ClaimName;
import java.util.Optional;

/**
 * A claim made from a StatefulSet's volumeClaimTemplate: named {@code <template>-<statefulset>-<ordinal>} (the
 * contract's {@link ClaimName} grammar, which the driver reads too), the only claims retention ever touches
 * (KEP-1847: "these are the only PVCs modified with an ownerRef").
 */
public record OrdinalClaim(String namespace, String statefulSet, String template, int ordinal, String claimName) {

    public static OrdinalClaim of(String namespace, String statefulSet, String template, int ordinal) {
        return new OrdinalClaim(namespace, statefulSet, template, ordinal, name(template, statefulSet, ordinal));
    }

    public static String name(String template, String statefulSet, int ordinal) {
        return ClaimName.of(template, statefulSet, ordinal);
    }

    /** The pod that uses this claim: {@code <statefulset>-<ordinal>}. */
    public String podName() {
        return ClaimName.podName(statefulSet, ordinal);
    }

    /** The claim of {@code template} of {@code statefulSet} that {@code claimName} names, if it names one. */
    public static Optional<OrdinalClaim> match(String namespace, String statefulSet, String template, String claimName) {
        return ClaimName.ordinalIn(claimName, template, statefulSet)
                .map(ordinal -> new OrdinalClaim(namespace, statefulSet, template, ordinal, claimName));
    }
}
