package dev.ordinal.allocator.model;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A node as the allocator sees it. {@code labels} are the node's topology labels (zone, rack,
 * region...) as published in CSI NodeGetInfo; segments are matched against them. The node's own
 * name is added as {@link Topology#NODE_KEY} automatically.
 */
public record Node(NodeName name, Map<String, String> labels, boolean schedulable) {
    public Node {
        Objects.requireNonNull(name, "name");
        TreeMap<String, String> copy = new TreeMap<>(labels);
        String pinned = copy.put(Topology.NODE_KEY, name.value());
        if (pinned != null && !pinned.equals(name.value())) {
            throw new IllegalArgumentException("label " + Topology.NODE_KEY + "=" + pinned + " contradicts node name " + name);
        }
        labels = Collections.unmodifiableSortedMap(copy);
    }

    public static Node of(String name, Map<String, String> labels) {
        return new Node(new NodeName(name), labels, true);
    }

    public Node cordoned() {
        return new Node(name, labels, false);
    }
}
