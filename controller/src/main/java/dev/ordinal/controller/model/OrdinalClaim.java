package dev.ordinal.controller.model;

import java.util.Optional;

/**
 * A claim made from a StatefulSet's volumeClaimTemplate: named {@code <template>-<statefulset>-<ordinal>}, the only
 * claims retention ever touches (KEP-1847: "these are the only PVCs modified with an ownerRef").
 */
public record OrdinalClaim(String namespace, String statefulSet, String template, int ordinal, String claimName) {

    public static OrdinalClaim of(String namespace, String statefulSet, String template, int ordinal) {
        return new OrdinalClaim(namespace, statefulSet, template, ordinal, name(template, statefulSet, ordinal));
    }

    public static String name(String template, String statefulSet, int ordinal) {
        return template + "-" + statefulSet + "-" + ordinal;
    }

    /** The pod that uses this claim: {@code <statefulset>-<ordinal>}. */
    public String podName() {
        return statefulSet + "-" + ordinal;
    }

    /** The claim of {@code template} of {@code statefulSet} that {@code claimName} names, if it names one. */
    public static Optional<OrdinalClaim> match(String namespace, String statefulSet, String template, String claimName) {
        String prefix = template + "-" + statefulSet + "-";
        if (!claimName.startsWith(prefix)) {
            return Optional.empty();
        }
        String digits = claimName.substring(prefix.length());
        if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')
                || (digits.length() > 1 && digits.charAt(0) == '0')) {
            return Optional.empty();
        }
        return Optional.of(new OrdinalClaim(namespace, statefulSet, template, Integer.parseInt(digits), claimName));
    }
}
