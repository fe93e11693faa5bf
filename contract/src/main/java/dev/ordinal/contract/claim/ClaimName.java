package dev.ordinal.contract.claim;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The names the StatefulSet controller derives, and one reading of a claim name as
 * {@code <template>-<statefulSet>-<ordinal>}. Both names may contain dashes, so a name has as many readings as
 * dashes before its ordinal; only the cluster can tell which one is true (a StatefulSet of that name with a
 * volumeClaimTemplate of that name). The driver and the companion controller read names only through this class.
 */
public record ClaimName(String template, String statefulSet, int ordinal) {

    /** StatefulSet ordinals are ints; a longer run of digits is no ordinal. */
    private static final int MAX_DIGITS = 9;

    /** The claim's name: {@code <template>-<statefulSet>-<ordinal>}. */
    public String name() {
        return of(template, statefulSet, ordinal);
    }

    /** The name of the claim of {@code template} of {@code statefulSet} for {@code ordinal}. */
    public static String of(String template, String statefulSet, int ordinal) {
        return template + "-" + statefulSet + "-" + ordinal;
    }

    /** The name of the pod of {@code statefulSet} for {@code ordinal}: {@code <statefulSet>-<ordinal>}. */
    public static String podName(String statefulSet, int ordinal) {
        return statefulSet + "-" + ordinal;
    }

    /** Every reading, the shortest template first: templates are usually one word ("data", "www"). */
    public static List<ClaimName> candidates(String claimName) {
        if (claimName == null) {
            return List.of();
        }
        int lastDash = claimName.lastIndexOf('-');
        if (lastDash < 0) {
            return List.of();
        }
        Optional<Integer> ordinal = ordinalOf(claimName.substring(lastDash + 1));
        if (ordinal.isEmpty()) {
            return List.of();
        }
        String rest = claimName.substring(0, lastDash);
        List<ClaimName> readings = new ArrayList<>();
        for (int dash = rest.indexOf('-'); dash >= 0; dash = rest.indexOf('-', dash + 1)) {
            String template = rest.substring(0, dash);
            String statefulSet = rest.substring(dash + 1);
            if (!template.isEmpty() && !statefulSet.isEmpty()) {
                readings.add(new ClaimName(template, statefulSet, ordinal.get()));
            }
        }
        return List.copyOf(readings);
    }

    /** The ordinal {@code claimName} has as a claim of {@code template} of {@code statefulSet}, if it is one. */
    public static Optional<Integer> ordinalIn(String claimName, String template, String statefulSet) {
        String prefix = template + "-" + statefulSet + "-";
        return claimName.startsWith(prefix) ? ordinalOf(claimName.substring(prefix.length())) : Optional.empty();
    }

    /** The template of a claim named {@code <template>-<statefulSet>-<anything>}, for a StatefulSet of that name. */
    public static Optional<String> templateOf(String claimName, String statefulSet) {
        int dash = claimName.lastIndexOf('-');
        if (dash <= 0) {
            return Optional.empty();
        }
        String rest = claimName.substring(0, dash);
        String suffix = "-" + statefulSet;
        return rest.endsWith(suffix) && rest.length() > suffix.length()
                ? Optional.of(rest.substring(0, rest.length() - suffix.length())) : Optional.empty();
    }

    /** The StatefulSet part of a pod name {@code <statefulSet>-<digits>}. */
    public static Optional<String> statefulSetOfPod(String podName) {
        int dash = podName.lastIndexOf('-');
        if (dash <= 0 || dash == podName.length() - 1) {
            return Optional.empty();
        }
        return podName.substring(dash + 1).chars().allMatch(Character::isDigit)
                ? Optional.of(podName.substring(0, dash)) : Optional.empty();
    }

    /**
     * An ordinal as the StatefulSet controller writes it: decimal, no sign, no leading zero ("07" is not ordinal 7,
     * so a claim named that way belongs to no ordinal).
     */
    public static Optional<Integer> ordinalOf(String digits) {
        if (digits == null || digits.isEmpty() || digits.length() > MAX_DIGITS
                || (digits.length() > 1 && digits.charAt(0) == '0')) {
            return Optional.empty();
        }
        for (int i = 0; i < digits.length(); i++) {
            if (digits.charAt(i) < '0' || digits.charAt(i) > '9') {
                return Optional.empty();
            }
        }
        return Optional.of(Integer.parseInt(digits));
    }
}
