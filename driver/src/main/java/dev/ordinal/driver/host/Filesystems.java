package dev.ordinal.driver.host;

import dev.ordinal.driver.error.DriverError;
import java.io.IOException;
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

    /** Suspends writes to the filesystem mounted at {@code mountPoint} and flushes it, for a consistent copy. */
    public static void freeze(Path mountPoint) {
        Command.check("freeze of " + mountPoint, "fsfreeze", "--freeze", "--", mountPoint.toString());
    }

    public static void unfreeze(Path mountPoint) {
        Command.check("unfreeze of " + mountPoint, "fsfreeze", "--unfreeze", "--", mountPoint.toString());
    }

    /**
     * Thaws the filesystem mounted at {@code mountPoint} if it is frozen; returns whether it was. (The kernel
     * answers EINVAL for a filesystem that is not frozen, which is the common, uninteresting case.)
     */
    public static boolean thawIfFrozen(Path mountPoint) {
        return Command.run("fsfreeze", "--unfreeze", "--", mountPoint.toString()).ok();
    }

    /** The size of a block device in bytes. */
    public static long deviceBytes(Path device) {
        return Long.parseLong(Command.check("size of " + device, "blockdev", "--getsize64", device.toString())
                .strip());
    }

    /** The size of the ext4 filesystem on an (unmounted or mounted) device, from its superblock. */
    public static long ext4Bytes(Path device) {
        return ext4Geometry(device).bytes();
    }

    /** The ext4 superblock fields that tell its size and whether growing it onto a larger device adds anything. */
    public record Ext4Geometry(long blockCount, long blockSize, long firstDataBlock, long blocksPerGroup,
            long inodeBlocksPerGroup) {

        public long bytes() {
            return blockCount * blockSize;
        }

        /**
         * Whether resize2fs would make the filesystem larger on a device of {@code deviceBytes}. Not simply "the
         * device is larger": mke2fs and resize2fs leave out a last block group smaller than its own overhead
         * (bitmaps and inode table) plus 50 blocks, so a 1025 MiB image holds a 1024 MiB filesystem for good.
         * Comparing sizes alone sent such a volume through a forced e2fsck and a no-op resize2fs at every stage.
         * The threshold used is the smallest overhead a group can have (no superblock backup), so a growth that
         * resize2fs would make is never skipped; at worst a rare group with a backup is checked needlessly.
         */
        public boolean growsOnto(long deviceBytes) {
            long deviceBlocks = deviceBytes / blockSize;
            if (deviceBlocks <= blockCount) {
                return false;
            }
            boolean endsOnAGroup = (blockCount - firstDataBlock) % blocksPerGroup == 0;
            return !(endsOnAGroup && deviceBlocks - blockCount < 2 + inodeBlocksPerGroup + 50);
        }
    }

    /** The geometry of the ext4 filesystem on an (unmounted or mounted) device, from its superblock. */
    public static Ext4Geometry ext4Geometry(Path device) {
        String out = Command.check("superblock of " + device, "dumpe2fs", "-h", "--", device.toString());
        java.util.Map<String, Long> fields = new java.util.HashMap<>();
        for (String line : out.split("\n")) {
            int colon = line.indexOf(':');
            String key = colon < 0 ? "" : line.substring(0, colon);
            if (java.util.Set.of("Block count", "Block size", "First block", "Blocks per group",
                    "Inode blocks per group").contains(key)) {
                fields.put(key, Long.parseLong(line.substring(colon + 1).strip()));
            }
        }
        if (fields.size() != 5 || fields.get("Block size") == 0 || fields.get("Blocks per group") == 0) {
            throw new DriverError.Internal("incomplete ext4 superblock of " + device + ": " + fields);
        }
        return new Ext4Geometry(fields.get("Block count"), fields.get("Block size"), fields.get("First block"),
                fields.get("Blocks per group"), fields.get("Inode blocks per group"));
    }

    /** The data size of the xfs filesystem mounted at {@code mountPoint}. */
    public static long xfsBytes(Path mountPoint) {
        String out = Command.check("geometry of " + mountPoint, "xfs_growfs", "-n", "--", mountPoint.toString());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("data\\s+=\\s+bsize=(\\d+)\\s+blocks=(\\d+)")
                .matcher(out);
        if (!m.find()) {
            throw new DriverError.Internal("no data geometry in xfs_growfs output for " + mountPoint);
        }
        return Long.parseLong(m.group(1)) * Long.parseLong(m.group(2));
    }

    /** Grows an unmounted ext4 filesystem to its device: a check first, as resize2fs requires. */
    public static void growExt4Offline(Path device) {
        Command.Result check = Command.run("e2fsck", "-f", "-p", "--", device.toString());
        // 0: clean; 1: errors corrected. Anything else needs a person.
        if (check.exitCode() > 1) {
            throw new DriverError.Internal("filesystem check before growing " + device + " failed: " + check.describe());
        }
        Command.check("offline growth of " + device, "resize2fs", "--", device.toString());
    }

    /**
     * Grows a mounted ext4 filesystem to its device. Returns false when the kernel refuses online growth (some
     * kernels answer EPERM): the filesystem then grows offline at its next stage.
     */
    public static boolean growExt4Online(Path device) {
        Command.Result result = Command.run("resize2fs", "--", device.toString());
        if (result.ok()) {
            return true;
        }
        if (result.stderr().contains("Permission denied") || result.stderr().contains("Operation not permitted")) {
            return false;
        }
        throw new DriverError.Internal("online growth of " + device + " failed: " + result.describe());
    }

    /** Grows the xfs filesystem mounted at {@code mountPoint} to its device; xfs grows only while mounted. */
    public static void growXfs(Path mountPoint) {
        Command.check("growth of the xfs filesystem at " + mountPoint, "xfs_growfs", "--", mountPoint.toString());
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

    /**
     * The type of the filesystem holding the existing directory {@code path} as the kernel names it in mountinfo
     * (ext4, xfs, btrfs, tmpfs...). Not statfs: ext2, ext3 and ext4 share one magic number, so statfs calls an
     * ext4 disk "ext2/ext3". statfs only where mountinfo has no entry for the path.
     */
    public static String typeOf(Path path) {
        Path real;
        try {
            real = path.toRealPath();
        } catch (IOException e) {
            throw new DriverError.Internal("cannot resolve " + path + ": " + e.getMessage(), e);
        }
        return MountTable.read().treeOf(real).map(MountEntry::fsType).orElseGet(() -> Command.check(
                "statfs of " + path, "stat", "--file-system", "--format", "%T", "--", path.toString()).strip());
    }
}
