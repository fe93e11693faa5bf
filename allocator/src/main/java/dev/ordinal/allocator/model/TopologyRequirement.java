package dev.ordinal.allocator.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * CSI accessibility requirements. A node is eligible if its labels match at least one requisite
 * segment (when any is given). Preferred segments are ordered: a node matching an earlier one wins,
 * after spread and before the fit policy.
 */
public record TopologyRequirement(List<Map<String, String>> requisite, List<Map<String, String>> preferred) {
    public static final TopologyRequirement ANY = new TopologyRequirement(List.of(), List.of());

    public TopologyRequirement {
        requisite = copy(requisite);
        preferred = copy(preferred);
    }

    public static TopologyRequirement requisite(List<Map<String, String>> segments) {
        return new TopologyRequirement(segments, List.of());
    }

    public TopologyRequirement withPreferred(List<Map<String, String>> segments) {
        return new TopologyRequirement(requisite, segments);
    }

    public boolean eligible(Map<String, String> nodeLabels) {
        if (requisite.isEmpty()) {
            return true;
        }
        for (Map<String, String> seg : requisite) {
            if (Topology.matches(seg, nodeLabels)) {
                return true;
            }
        }
        return false;
    }

    /** Index of the first preferred segment the node matches, or {@code preferred().size()} if none. */
    public int preferenceRank(Map<String, String> nodeLabels) {
        for (int i = 0; i < preferred.size(); i++) {
            if (Topology.matches(preferred.get(i), nodeLabels)) {
                return i;
            }
        }
        return preferred.size();
    }

    private static List<Map<String, String>> copy(List<Map<String, String>> segments) {
        Objects.requireNonNull(segments, "segments");
        // Sorted maps so messages list keys in a stable order.
        return segments.stream().map(s -> (Map<String, String>) java.util.Collections.unmodifiableSortedMap(new TreeMap<>(s))).toList();
    }

    @Override
    public String toString() {
        return "requisite=" + requisite + " preferred=" + preferred;
    }
}
