package dev.ordinal.allocator.model;

import java.util.Objects;
import java.util.Optional;

/**
 * A volume that occupies space on a disk. {@code group} is null for volumes that do not belong to
 * a StatefulSet; {@code ordinal} is then ignored (use -1).
 */
public record Allocation(VolumeKey volume, Placement placement, Layout layout, Capacity bytes, OwnerGroup group, int ordinal) {
    public Allocation {
        Objects.requireNonNull(volume, "volume");
        Objects.requireNonNull(placement, "placement");
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(bytes, "bytes");
    }

    public Optional<OwnerGroup> ownerGroup() {
        return Optional.ofNullable(group);
    }
}
