package dev.ordinal.driver.host;

import dev.ordinal.allocator.model.Capacity;
import java.nio.file.Path;

/**
 * Copies of volume data for snapshots, restores and clones, keeping holes: an image that is mostly empty stays
 * sparse. A tree copy shares extents (a reflink) where the filesystem can (btrfs, xfs with reflink); a file copy
 * only when asked, since images are preallocated and a shared extent would need a new block at its first write.
 */
public final class Copies {

    private Copies() {
    }

    /**
     * Copies one file (an image) to {@code target}, which must not exist yet, sharing extents with the source only
     * when {@code shareExtents}. A full filesystem is RESOURCE_EXHAUSTED.
     */
    public static void file(Path source, Path target, boolean shareExtents) {
        Command.Result result = Command.run("cp", shareExtents ? "--reflink=auto" : "--reflink=never",
                "--sparse=always", "--no-dereference", "--", source.toString(), target.toString());
        if (result.ok()) {
            return;
        }
        if (result.stderr().contains("No space left on device")) {
            throw new dev.ordinal.driver.error.DriverError.ResourceExhausted("copy of " + source + " to " + target
                    + " ran out of space: the disk has " + Capacity.format(Preallocation.usableBytes(
                            target.getParent())) + " free");
        }
        throw new dev.ordinal.driver.error.DriverError.Internal("copy of " + source + " to " + target + " failed: "
                + result.describe());
    }

    /** Copies a directory tree with owners, modes, times and links as they are. */
    public static void tree(Path source, Path target) {
        Command.check("copy of " + source + " to " + target, "cp", "--archive", "--reflink=auto", "--", source.toString(),
                target.toString());
    }
}
