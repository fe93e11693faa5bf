package dev.ordinal.driver.host;

import dev.ordinal.driver.error.DriverError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** btrfs subvolumes and their qgroup limits: a hard size limit without a filesystem per volume. */
public final class Btrfs {

    /** The inode number of every btrfs subvolume root. */
    private static final long SUBVOLUME_ROOT_INODE = 256;

    private Btrfs() {
    }

    public static boolean isSubvolume(Path path) {
        try {
            return Files.isDirectory(path) && ((Number) Files.getAttribute(path, "unix:ino")).longValue()
                    == SUBVOLUME_ROOT_INODE;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    public static void createSubvolume(Path path) {
        Command.check("creation of btrfs subvolume " + path, "btrfs", "subvolume", "create", "--", path.toString());
    }

    /** A snapshot of {@code source} at {@code target}: read-only for a CSI snapshot, writable for a restore. */
    public static void snapshot(Path source, Path target, boolean readOnly) {
        String[] argv = readOnly
                ? new String[] {"btrfs", "subvolume", "snapshot", "-r", "--", source.toString(), target.toString()}
                : new String[] {"btrfs", "subvolume", "snapshot", "--", source.toString(), target.toString()};
        Command.check("snapshot of btrfs subvolume " + source, argv);
    }

    public static void deleteSubvolume(Path path) {
        Command.check("deletion of btrfs subvolume " + path, "btrfs", "subvolume", "delete", "--", path.toString());
    }

    /** Turns on qgroup accounting for the filesystem at {@code path}; already on is fine. */
    public static void enableQuota(Path path) {
        // No "--" here: btrfs-progs 6.2 counts it as an argument of "quota enable" and fails ("exactly 2 arguments
        // expected, 3 given"), so no btrfs disk could be opened. An absolute path starts with '/' and can never be
        // taken for an option, which is what "--" guarded against.
        Command.check("enabling btrfs quota on " + path, "btrfs", "quota", "enable",
                path.toAbsolutePath().normalize().toString());
    }

    public static boolean quotaEnabled(Path path) {
        return Command.run("btrfs", "qgroup", "show", "--raw", "--", path.toString()).ok();
    }

    /** Sets the referenced-bytes limit of the subvolume's own qgroup. */
    public static void limit(Path subvolume, long bytes) {
        Command.check("qgroup limit of " + subvolume, "btrfs", "qgroup", "limit", Long.toString(bytes), "--",
                subvolume.toString());
    }

    /** Bytes referenced by the subvolume and its limit, as qgroup accounting sees them after a sync. */
    public record Usage(long referencedBytes, OptionalLong limitBytes) {
    }

    public static Usage usage(Path subvolume) {
        String out = Command.check("qgroup usage of " + subvolume, "btrfs", "qgroup", "show", "-r", "-f", "--raw",
                "--sync", "--", subvolume.toString());
        for (String line : out.split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (f.length >= 4 && f[0].startsWith("0/")) {
                long referenced = Long.parseLong(f[1]);
                OptionalLong limit = f[3].equals("none") ? OptionalLong.empty()
                        : OptionalLong.of(Long.parseLong(f[3]));
                return new Usage(referenced, limit);
            }
        }
        throw new DriverError.Internal("no qgroup found for subvolume " + subvolume + " in: " + out.strip());
    }
}
