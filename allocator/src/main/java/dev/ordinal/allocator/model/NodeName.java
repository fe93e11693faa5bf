package dev.ordinal.allocator.model;

import java.util.Objects;

/** Kubernetes node name. Also published as the topology label {@link Topology#NODE_KEY}. */
public record NodeName(String value) implements Comparable<NodeName> {
    public NodeName {
        Objects.requireNonNull(value, "node name");
        if (value.isBlank()) {
            throw new IllegalArgumentException("node name must not be blank");
        }
    }

    public static NodeName of(String value) {
        return new NodeName(value);
    }

    @Override
    public int compareTo(NodeName o) {
        return value.compareTo(o.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
