package dev.ordinal.driver.host;

import java.nio.file.Path;

/**
 * Copies of volume data for snapshots, restores and clones. cp shares extents (a reflink) where the filesystem
 * can (btrfs, xfs with reflink) and otherwise copies, keeping holes: an image that is mostly empty stays sparse.
 */
public final class Copies {

    private Copies() {
    }

    /** Copies one file (an image) to {@code target}, which must not exist yet. */
    public static void file(Path source, Path target) {
        Command.check("copy of " + source + " to " + target, "cp", "--reflink=auto", "--sparse=always",
                "--no-dereference", "--", source.toString(), target.toString());
    }

    /** Copies a directory tree with owners, modes, times and links as they are. */
    public static void tree(Path source, Path target) {
        Command.check("copy of " + source + " to " + target, "cp", "--archive", "--reflink=auto", "--", source.toString(),
                target.toString());
    }
}
