package dev.ordinal.driver.local;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.Layout;
import java.nio.file.Path;
import java.util.Set;

/**
 * One configured disk of this node: a directory the driver owns, how much of it volumes may take, and which
 * layouts it can offer (subvolume only when the directory is on btrfs).
 */
public record LocalDisk(DiskName name, Path root, Capacity capacity, String filesystem, Set<Layout> layouts) {

    static final String VOLUMES = "volumes";
    static final String SNAPSHOTS = "snapshots";
    static final String HELD = "held";

    public LocalDisk {
        layouts = Set.copyOf(layouts);
    }

    /** Where the volumes of this disk live; nothing outside it is ever written. */
    public Path volumesDir() {
        return root.resolve(VOLUMES);
    }

    /** Where the snapshots of this disk's volumes live: on the same disk, so they can share its blocks. */
    public Path snapshotsDir() {
        return root.resolve(SNAPSHOTS);
    }

    /**
     * Where deleted volumes wait out their grace (StorageClass parameter deleteGrace): on the same filesystem, so
     * that holding and returning one is a rename, and its blocks still count against this disk.
     */
    public Path heldDir() {
        return root.resolve(HELD);
    }

    public boolean offers(Layout layout) {
        return layouts.contains(layout);
    }
}
