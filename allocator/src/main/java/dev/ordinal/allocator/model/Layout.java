package dev.ordinal.allocator.model;

import java.util.Locale;

/** How a volume is carved out of a disk. A disk offers one or more layouts. */
public enum Layout {
    /** A block image (LVM logical volume or sparse file) handed to the pod as a device or formatted filesystem. */
    IMAGE("image"),
    /** A btrfs/XFS-project subvolume with its own quota. */
    SUBVOLUME("subvolume"),
    /** A plain directory; size is accounted, not enforced by the filesystem. */
    DIR("dir");

    private final String wireName;

    Layout(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in StorageClass parameters and in messages. */
    public String wireName() {
        return wireName;
    }

    public static Layout parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (Layout l : values()) {
            if (l.wireName.equals(n)) {
                return l;
            }
        }
        throw new IllegalArgumentException("unknown layout '" + name + "', expected one of image, subvolume, dir");
    }

    @Override
    public String toString() {
        return wireName;
    }
}
