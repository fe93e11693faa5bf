package dev.ordinal.allocator.model;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * A disk on a node. {@code reserved} is withheld from allocation (filesystem metadata, safety
 * margin); the rest of {@code capacity} is what volumes may use.
 */
public record Disk(DiskName name, Set<Layout> layouts, Capacity capacity, Capacity reserved) {
    public Disk {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(capacity, "capacity");
        Objects.requireNonNull(reserved, "reserved");
        if (layouts.isEmpty()) {
            throw new IllegalArgumentException("disk " + name + " must offer at least one layout");
        }
        layouts = Set.copyOf(EnumSet.copyOf(layouts));
    }

    public static Disk of(String name, Capacity capacity, Layout... layouts) {
        return new Disk(new DiskName(name), Set.of(layouts), capacity, Capacity.ZERO);
    }
}
