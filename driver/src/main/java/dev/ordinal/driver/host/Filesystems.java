package dev.ordinal.driver.host;

import dev.ordinal.driver.error.DriverError;
import java.nio.file.Path;
import java.util.Optional;

/** Filesystem tools: what is on a device, making one, growing one, and statfs of a path. */
public final class Filesystems {

    private Filesystems() {
    }

    /** The filesystem type found on {@code device}, or empty when the device holds none. */
    public static Optional<String> probe(Path device) {
        Command.Result result = Command.run("blkid", "--probe", "--match-tag", "TYPE", "--output", "value",
                "--", device.toString());
        // blkid exits 2 when it finds nothing it recognises: an unformatted device.
        if (result.exitCode() == 2) {
            return Optional.empty();
        }
        if (!result.ok()) {
            throw new DriverError.Internal("probe of " + device + " failed: " + result.describe());
        }
        String type = result.stdout().strip();
        return type.isEmpty() ? Optional.empty() : Optional.of(type);
    }

    /** Creates a filesystem of {@code fsType} (ext4 or xfs) on {@code device}. */
    public static void format(Path device, String fsType) {
        String[] argv = switch (fsType) {
            // No reserved root blocks: a volume's whole size belongs to its pod. lazy init keeps mkfs fast.
            case "ext4" -> new String[] {"mkfs.ext4", "-q", "-F", "-m", "0", "-E",
                "lazy_itable_init=1,lazy_journal_init=1,nodiscard", "--", device.toString()};
            case "xfs" -> new String[] {"mkfs.xfs", "-q", "-f", "-K", "--", device.toString()};
            default -> throw new DriverError.InvalidArgument("unsupported fsType " + fsType + " (ext4 or xfs)");
        };
        try {
            Command.check("format of " + device + " as " + fsType, argv);
        } catch (DriverError e) {
            HostFailures.formatFailed(fsType);
            throw e;
        }
    }

    /** statfs(2) of the filesystem holding {@code path}, through stat(1) since the JDK does not expose inodes. */
    public static FilesystemStats stats(Path path) {
        String out = Command.check("statfs of " + path, "stat", "--file-system", "--format", "%S %b %f %a %c %d",
                "--", path.toString());
        String[] f = out.strip().split(" ");
        long blockSize = Long.parseLong(f[0]);
        long blocks = Long.parseLong(f[1]);
        long free = Long.parseLong(f[2]);
        long available = Long.parseLong(f[3]);
        return new FilesystemStats(blocks * blockSize, available * blockSize, (blocks - free) * blockSize,
                Long.parseLong(f[4]), Long.parseLong(f[5]));
    }

    /** The type name statfs reports for the filesystem holding {@code path} (ext2/ext3, xfs, btrfs, tmpfs...). */
    public static String typeOf(Path path) {
        return Command.check("statfs of " + path, "stat", "--file-system", "--format", "%T", "--", path.toString())
                .strip();
    }
}
