package dev.ordinal.allocator.model;

import java.util.Locale;

/**
 * How to choose among disks that are equally good for spread and topology, set per StorageClass.
 * Both compare the disk's free bytes (capacity - reserved - allocations - reservations).
 */
public enum FitPolicy {
    /** Least free bytes that still fit (most allocated first): keeps whole disks empty for large volumes. */
    BINPACK,
    /** Most free bytes first (least allocated): evens out wear and I/O load. */
    SPREAD;

    public static FitPolicy parse(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "binpack" -> BINPACK;
            case "spread" -> SPREAD;
            default -> throw new IllegalArgumentException("unknown fit policy '" + name + "', expected binpack or spread");
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
