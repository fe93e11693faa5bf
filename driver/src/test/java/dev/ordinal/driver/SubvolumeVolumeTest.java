package dev.ordinal.driver;

import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.assertStatus;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.GetCapacityRequest;
import dev.ordinal.csi.v1.NodeGetVolumeStatsRequest;
import dev.ordinal.csi.v1.NodeGetVolumeStatsResponse;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.csi.v1.VolumeCapability;
import dev.ordinal.csi.v1.VolumeUsage;
import dev.ordinal.driver.host.Command;
import dev.ordinal.driver.host.LoopDevices;
import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.support.Csi;
import dev.ordinal.driver.support.InProcessDriver;
import dev.ordinal.driver.support.TestRoot;
import io.grpc.Status;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Layout {@code subvolume}: a btrfs subvolume whose qgroup limit is the volume's size. The class makes its own
 * btrfs disk (a sparse 1 GiB file, formatted and loop-mounted under its TestRoot) and serves it with one driver;
 * every test removes the volumes it made, so the disk is empty between tests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SubvolumeVolumeTest {

    /** Directory volumes take the filesystem of the disk; the capability names none. */
    private static final VolumeCapability MOUNT = Csi.mount("");

    private TestRoot root;
    private Path image;
    private Path loop;
    private Path disk;
    private InProcessDriver driver;

    @BeforeAll
    void makeBtrfsDisk() throws IOException {
        root = TestRoot.create("subvolume");
        image = root.path().resolve("btrfs.img");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(1024 * MIB);
        }
        loop = Path.of(Command.check("attach btrfs image", "losetup", "--find", "--show", "--", image.toString())
                .strip());
        Command.check("mkfs.btrfs", "mkfs.btrfs", "-q", "--", loop.toString());
        disk = root.dir("btrfs");
        Command.check("mount btrfs", "mount", "-t", "btrfs", "--", loop.toString(), disk.toString());
        driver = InProcessDriver.start(root.path(), Map.of("b1", disk));
    }

    @AfterAll
    void removeBtrfsDisk() {
        try {
            if (driver != null) {
                driver.close();
            }
        } finally {
            // The disk's own mount and loop device are the test's, not the driver's: undo them before the root
            // checks that nothing is left.
            if (disk != null && MountTable.read().isMountPoint(disk)) {
                Command.check("unmount btrfs", "umount", "--", disk.toString());
            }
            if (loop != null) {
                Command.run("losetup", "--detach", loop.toString());
                await().until(() -> LoopDevices.backing(image).isEmpty());
            }
            root.close();
        }
    }

    @Test
    void btrfsDiskOffersSubvolumes() throws IOException {
        long capacity = driver.controller().getCapacity(GetCapacityRequest.newBuilder()
                .putParameters("layout", "subvolume").build()).getAvailableCapacity();
        assertTrue(capacity > 0, "a btrfs disk has room for subvolumes");

        Volume volume = create("offered", 16 * MIB);
        assertEquals(16 * MIB, volume.getCapacityBytes());
        assertEquals("subvolume", volume.getVolumeContextOrThrow("layout"));
        Path data = onlyVolumeDir().resolve("data");
        // Every btrfs subvolume root has inode 256; `btrfs subvolume show` says so too.
        assertEquals(256L, ((Number) Files.getAttribute(data, "unix:ino")).longValue());
        assertTrue(Command.run("btrfs", "subvolume", "show", "--", data.toString()).ok());

        delete(volume.getVolumeId());
        assertEquals(List.of(), volumeDirs());
    }

    @Test
    void writesPastTheLimitAreRefused() {
        long limit = 16 * MIB;
        String id = create("limited", limit).getVolumeId();
        Path staging = root.path().resolve("staging/limited");
        Path target = root.path().resolve("pods/limited/volume");
        driver.node().nodeStageVolume(Csi.stage(id, staging, MOUNT));
        driver.node().nodePublishVolume(Csi.publish(id, staging, target, MOUNT, false));

        IOException failure = fillUntilFailure(target, 8 * limit);
        String message = String.valueOf(failure.getMessage());
        assertTrue(message.contains("Disk quota exceeded") || message.contains("No space left on device"),
                "writing past the limit failed with: " + failure);

        unpublish(id, target);
        unstage(id, staging);
        delete(id);
        assertEquals(List.of(), volumeDirs());
    }

    @Test
    void statsShowTheLimitAndGrowingUsage() throws IOException {
        long limit = 16 * MIB;
        String id = create("measured", limit).getVolumeId();
        Path staging = root.path().resolve("staging/measured");
        Path target = root.path().resolve("pods/measured/volume");
        driver.node().nodeStageVolume(Csi.stage(id, staging, MOUNT));
        driver.node().nodePublishVolume(Csi.publish(id, staging, target, MOUNT, false));

        NodeGetVolumeStatsResponse before = stats(id, target);
        assertFalse(before.getVolumeCondition().getAbnormal(), before.getVolumeCondition().getMessage());
        VolumeUsage empty = bytes(before);
        assertEquals(limit, empty.getTotal(), "a subvolume's total is its limit, not the disk's size");

        byte[] content = new byte[(int) (4 * MIB)];
        new Random(1).nextBytes(content);
        Path file = target.resolve("four-mib.bin");
        try (FileOutputStream out = new FileOutputStream(file.toFile())) {
            out.write(content);
            out.getFD().sync();
        }
        VolumeUsage written = bytes(stats(id, target));
        assertEquals(limit, written.getTotal());
        assertTrue(written.getUsed() >= empty.getUsed() + 4 * MIB,
                "used went from " + empty.getUsed() + " to " + written.getUsed() + " after writing 4 MiB");
        assertTrue(written.getAvailable() <= limit - 4 * MIB,
                "available " + written.getAvailable() + " after writing 4 MiB of " + limit);
        assertArrayEquals(content, Files.readAllBytes(staging.resolve("four-mib.bin")));

        unpublish(id, target);
        unstage(id, staging);
        delete(id);
    }

    @Test
    void deleteRemovesTheSubvolume() throws IOException {
        String id = create("doomed", 16 * MIB).getVolumeId();
        Path data = onlyVolumeDir().resolve("data");
        Files.writeString(data.resolve("file.txt"), "bye");
        assertTrue(subvolumeList().contains(disk.relativize(data).toString()), subvolumeList());

        delete(id);
        assertEquals(List.of(), volumeDirs(), "no directory is left under the disk's volumes dir");
        assertFalse(subvolumeList().contains(disk.relativize(data).toString()), subvolumeList());
        // Deleting again is fine.
        delete(id);
    }

    @Test
    void aDiskThatIsNotBtrfsRefusesSubvolumes() {
        try (TestRoot plainRoot = TestRoot.create("plain")) {
            try (InProcessDriver plain = InProcessDriver.start(plainRoot.path(),
                    Map.of("p1", plainRoot.dir("disks/p1")))) {
                String message = assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> plain.controller()
                        .createVolume(Csi.create("nowhere", 16 * MIB, "subvolume", MOUNT)));
                assertTrue(message.contains("subvolume"), message);
                // The same disk still takes the layouts it offers.
                String id = plain.controller().createVolume(Csi.create("somewhere", 16 * MIB, "dir", MOUNT))
                        .getVolume().getVolumeId();
                plain.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
            }
        }
    }

    // ---- helpers ----

    private Volume create(String name, long bytes) {
        return driver.controller().createVolume(Csi.create(name, bytes, "subvolume", MOUNT)).getVolume();
    }

    private void unpublish(String id, Path target) {
        driver.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder().setVolumeId(id)
                .setTargetPath(target.toString()).build());
    }

    private void unstage(String id, Path staging) {
        driver.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(id)
                .setStagingTargetPath(staging.toString()).build());
    }

    private void delete(String id) {
        driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
    }

    private NodeGetVolumeStatsResponse stats(String id, Path path) {
        return driver.node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder().setVolumeId(id)
                .setVolumePath(path.toString()).build());
    }

    private static VolumeUsage bytes(NodeGetVolumeStatsResponse stats) {
        return stats.getUsageList().stream().filter(u -> u.getUnit() == VolumeUsage.Unit.BYTES).findFirst()
                .orElseThrow(() -> new AssertionError("no byte usage in " + stats.getUsageList()));
    }

    private List<Path> volumeDirs() {
        try (var entries = Files.list(disk.resolve("volumes"))) {
            return entries.toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path onlyVolumeDir() {
        List<Path> dirs = volumeDirs();
        assertEquals(1, dirs.size(), "volume directories: " + dirs);
        return dirs.get(0);
    }

    private String subvolumeList() {
        return Command.check("subvolume list", "btrfs", "subvolume", "list", "--", disk.toString());
    }

    /** Writes 1 MiB chunks into files under {@code dir} until a write or an fsync fails; returns that failure. */
    private static IOException fillUntilFailure(Path dir, long giveUpAfter) {
        byte[] chunk = new byte[(int) MIB];
        Arrays.fill(chunk, (byte) 0x5a);
        long written = 0;
        for (int file = 0; written <= giveUpAfter; file++) {
            try (FileOutputStream out = new FileOutputStream(dir.resolve("fill-" + file).toFile())) {
                for (int i = 0; i < 4; i++) {
                    out.write(chunk);
                    written += chunk.length;
                }
                out.getFD().sync();
            } catch (IOException e) {
                return e;
            }
        }
        throw new AssertionError("wrote " + written + " bytes into " + dir + " without any error");
    }
}
