package dev.ordinal.allocator.model;

import java.util.Map;

/** Well-known topology keys. */
public final class Topology {
    /** Every node carries its own name under this key, so CSI segments can pin a single node. */
    public static final String NODE_KEY = "topology.ordinal.csi.dev/node";
    /** Default key the zone spread rule reads; configurable in {@code AllocatorConfig}. */
    public static final String DEFAULT_ZONE_KEY = "topology.kubernetes.io/zone";

    private Topology() {
    }

    /** CSI segment semantics: every key of the segment must be present on the node with the same value. */
    public static boolean matches(Map<String, String> segment, Map<String, String> nodeLabels) {
        for (Map.Entry<String, String> e : segment.entrySet()) {
            if (!e.getValue().equals(nodeLabels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
