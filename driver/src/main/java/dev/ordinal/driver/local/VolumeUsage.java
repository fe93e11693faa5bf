package dev.ordinal.driver.local;

import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.Btrfs;
import dev.ordinal.driver.host.Filesystems;
import dev.ordinal.driver.host.LoopDevices;
import dev.ordinal.driver.host.MountEntry;
import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How much data each volume on this node holds, measured from the disks and the kernel for metrics, outside any
 * RPC. It only reads: unlike {@link LocalVolumes#recover()} it never removes what it does not understand.
 */
public final class VolumeUsage {

    private final LocalVolumes volumes;
    private final int walkLimit;

    /**
     * @param walkLimit how many entries a {@code dir} volume's walk visits at most, so that one volume with
     *     millions of files cannot stall the sampler; beyond it the sum is a lower bound
     */
    public VolumeUsage(LocalVolumes volumes, int walkLimit) {
        this.volumes = volumes;
        this.walkLimit = walkLimit;
    }

    /** Every acknowledged volume (one with metadata) on this node's disks. */
    public List<VolumeRecord> list() {
        List<VolumeRecord> found = new ArrayList<>();
        for (LocalDisk disk : volumes.disks()) {
            if (!Files.isDirectory(disk.volumesDir())) {
                continue;
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(disk.volumesDir())) {
                for (Path entry : entries) {
                    // The same filter recovery applies: deletions in progress and foreign links are not volumes.
                    if (Files.isSymbolicLink(entry) || !Files.isDirectory(entry)
                            || !VolumeId.NAME.matcher(entry.getFileName().toString()).matches()) {
                        continue;
                    }
                    readQuietly(new VolumeFiles(entry)).ifPresent(found::add);
                }
            } catch (IOException e) {
                throw new DriverError.Internal("cannot scan " + disk.volumesDir() + ": " + e.getMessage(), e);
            }
        }
        return found;
    }

    /**
     * The bytes the volume's data takes: statfs of the mounted filesystem for {@code image} (empty while not
     * staged, and for block volumes, whose content the driver cannot interpret), the qgroup's referenced bytes for
     * {@code subvolume}, the sum of file sizes for {@code dir}.
     */
    public OptionalLong usedBytes(VolumeRecord record, MountTable mounts) {
        VolumeFiles files = volumes.files(record.id());
        return switch (record.layout()) {
            case IMAGE -> record.block() ? OptionalLong.empty() : mountedImageUsage(files, mounts);
            case SUBVOLUME -> Btrfs.isSubvolume(files.data())
                    ? OptionalLong.of(Btrfs.usage(files.data()).referencedBytes()) : OptionalLong.empty();
            case DIR -> Files.isDirectory(files.data()) ? OptionalLong.of(walk(files.data())) : OptionalLong.empty();
        };
    }

    private static OptionalLong mountedImageUsage(VolumeFiles files, MountTable mounts) {
        if (!Files.isRegularFile(files.image())) {
            return OptionalLong.empty();
        }
        for (Path device : LoopDevices.backing(files.image())) {
            List<MountEntry> mounted = mounts.mountsOfDevice(device);
            if (!mounted.isEmpty()) {
                return OptionalLong.of(Filesystems.stats(mounted.get(0).mountPoint()).usedBytes());
            }
        }
        return OptionalLong.empty();
    }

    private long walk(Path root) {
        long[] total = {0};
        int[] visited = {0};
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    return ++visited[0] > walkLimit ? FileVisitResult.TERMINATE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile()) {
                        total[0] += attrs.size();
                    }
                    return ++visited[0] > walkLimit ? FileVisitResult.TERMINATE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    // A file removed by the pod while we walk is simply not counted.
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new DriverError.Internal("cannot measure " + root + ": " + e.getMessage(), e);
        }
        return total[0];
    }

    private static Optional<VolumeRecord> readQuietly(VolumeFiles files) {
        try {
            return MetadataFile.read(files.metadata());
        } catch (DriverError | java.io.UncheckedIOException e) {
            // A volume whose metadata cannot be read is reported by the RPCs that need it, not by a sampler.
            return Optional.empty();
        }
    }
}
