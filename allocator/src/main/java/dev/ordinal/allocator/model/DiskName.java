package dev.ordinal.allocator.model;

import java.util.Objects;

/** Name of a disk (volume group, btrfs filesystem, directory root) within one node. */
public record DiskName(String value) implements Comparable<DiskName> {
    public DiskName {
        Objects.requireNonNull(value, "disk name");
        if (value.isBlank()) {
            throw new IllegalArgumentException("disk name must not be blank");
        }
    }

    public static DiskName of(String value) {
        return new DiskName(value);
    }

    @Override
    public int compareTo(DiskName o) {
        return value.compareTo(o.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
