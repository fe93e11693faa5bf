package dev.ordinal.driver.host;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.driver.error.DriverError;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Takes a file's blocks from its filesystem now, so that a later write inside them never needs a new block and
 * never meets a full disk. fallocate(2) in its default mode marks the blocks allocated but unwritten: it costs
 * extent metadata, not writing the bytes, and reads of them return zeros as the holes did.
 */
public final class Preallocation {

    private Preallocation() {
    }

    /**
     * Allocates the first {@code bytes} of {@code file} (filling its holes), without changing its size. On a full
     * filesystem nothing is kept beyond {@code keepBelow} (what was allocated past the old end is given back) and
     * the caller gets RESOURCE_EXHAUSTED naming {@code what} and the numbers.
     */
    public static void reserve(Path file, long bytes, long keepBelow, String what) {
        if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            // fallocate(1) would create a missing file and follow a link; every caller means an image that exists.
            throw new DriverError.Internal("cannot allocate blocks for " + file + ": it is not a regular file");
        }
        Command.Result result = Command.run("fallocate", "--keep-size", "--offset", "0", "--length",
                Long.toString(bytes), "--", file.toString());
        if (result.ok()) {
            return;
        }
        if (!result.stderr().contains("No space left on device")) {
            throw new DriverError.Internal("allocation of " + bytes + " bytes for " + file + " failed: "
                    + result.describe());
        }
        if (bytes > keepBelow) {
            // The blocks fallocate took past the old end before it ran out are of no use to anyone: give them back.
            Command.run("fallocate", "--punch-hole", "--offset", Long.toString(keepBelow), "--length",
                    Long.toString(bytes - keepBelow), "--", file.toString());
        }
        throw new DriverError.ResourceExhausted(what + " needs " + Capacity.format(bytes) + " on the disk, which has "
                + Capacity.format(usableBytes(file.getParent())) + " free");
    }

    /** The bytes an unprivileged writer could still take from the filesystem holding {@code path} (df's Avail). */
    public static long usableBytes(Path path) {
        // statvfs(2) of the path, as Files.getFileStore(path).getUsableSpace() ends with, without the FileStore's
        // walk through /proc/mounts to find the mount first: this runs before every placement. A failure reads
        // as 0 there, so it is told apart by asking whether the path is there.
        long usable = path.toFile().getUsableSpace();
        if (usable == 0 && !Files.exists(path)) {
            throw new DriverError.Internal("cannot read the free space of the filesystem holding " + path
                    + ": it does not exist");
        }
        return usable;
    }
}
