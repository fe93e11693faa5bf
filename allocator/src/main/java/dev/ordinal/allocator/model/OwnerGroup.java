package dev.ordinal.allocator.model;

import java.util.Objects;

/**
 * The volumes that belong to one StatefulSet claim template: ordinals of this group are what the
 * spread rule keeps apart.
 */
public record OwnerGroup(String namespace, String statefulSet, String claimTemplate) {
    public OwnerGroup {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(statefulSet, "statefulSet");
        Objects.requireNonNull(claimTemplate, "claimTemplate");
    }

    public static OwnerGroup of(String namespace, String statefulSet, String claimTemplate) {
        return new OwnerGroup(namespace, statefulSet, claimTemplate);
    }

    @Override
    public String toString() {
        return namespace + "/" + statefulSet + "/" + claimTemplate;
    }
}
