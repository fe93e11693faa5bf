package dev.ordinal.driver.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One reading of a claim name as {@code <template>-<statefulSet>-<ordinal>}. Both names may contain dashes, so a
 * name has as many readings as dashes before its ordinal; only the cluster can tell which one is true (a StatefulSet
 * of that name with a volumeClaimTemplate of that name).
 */
public record ClaimName(String template, String statefulSet, int ordinal) {

    /** StatefulSet ordinals are ints; a longer run of digits is no ordinal. */
    private static final int MAX_DIGITS = 9;

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
