package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An ordered list of CSI topology segments, answering "index of the first segment this node
 * matches". With Immediate binding the external-provisioner sends one segment per node, so a
 * request can carry thousands of single-key segments: those are looked up by label instead of
 * being matched one by one.
 */
final class Segments {
    private static final int LINEAR_LIMIT = 8;

    final List<Map<String, String>> list;
    private final HashMap<String, HashMap<String, Integer>> singleKey;
    private final List<Integer> multiKey;

    Segments(List<Map<String, String>> list) {
        this.list = list;
        if (list.size() <= LINEAR_LIMIT) {
            singleKey = null;
            multiKey = null;
            return;
        }
        singleKey = new HashMap<>();
        multiKey = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Map<String, String> seg = list.get(i);
            if (seg.size() == 1) {
                Map.Entry<String, String> e = seg.entrySet().iterator().next();
                singleKey.computeIfAbsent(e.getKey(), k -> new HashMap<>()).putIfAbsent(e.getValue(), i);
            } else {
                multiKey.add(i);
            }
        }
    }

    int size() {
        return list.size();
    }

    boolean isEmpty() {
        return list.isEmpty();
    }

    /** Index of the first matching segment, or size() when none matches. */
    int firstMatch(Map<String, String> labels) {
        if (singleKey == null) {
            for (int i = 0; i < list.size(); i++) {
                if (Topology.matches(list.get(i), labels)) {
                    return i;
                }
            }
            return list.size();
        }
        int best = list.size();
        for (Map.Entry<String, HashMap<String, Integer>> e : singleKey.entrySet()) {
            String v = labels.get(e.getKey());
            if (v != null) {
                Integer i = e.getValue().get(v);
                if (i != null && i < best) {
                    best = i;
                }
            }
        }
        for (int i : multiKey) {
            if (i >= best) {
                break;
            }
            if (Topology.matches(list.get(i), labels)) {
                return i;
            }
        }
        return best;
    }

    boolean anyMatch(Map<String, String> labels) {
        return firstMatch(labels) < list.size();
    }
}
