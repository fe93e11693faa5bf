package dev.ordinal.controller.kube;

import java.util.Optional;

/** Names the StatefulSet controller derives: pods {@code <set>-<ordinal>}, claims {@code <template>-<set>-<ordinal>}. */
final class ClaimNames {

    private ClaimNames() {
    }

    /** The StatefulSet part of a pod name {@code <set>-<ordinal>}. */
    static Optional<String> setOfPod(String podName) {
        int dash = podName.lastIndexOf('-');
        if (dash <= 0 || dash == podName.length() - 1) {
            return Optional.empty();
        }
        return podName.substring(dash + 1).chars().allMatch(Character::isDigit)
                ? Optional.of(podName.substring(0, dash)) : Optional.empty();
    }

    /** The ordinal of a claim named {@code <template>-<set>-<ordinal>}, with its template, for a set of that name. */
    static Optional<String> templateOf(String claimName, String setName) {
        int dash = claimName.lastIndexOf('-');
        if (dash <= 0) {
            return Optional.empty();
        }
        String rest = claimName.substring(0, dash);
        String suffix = "-" + setName;
        return rest.endsWith(suffix) && rest.length() > suffix.length()
                ? Optional.of(rest.substring(0, rest.length() - suffix.length())) : Optional.empty();
    }
}
