package dev.ordinal.driver;

import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.assertStatus;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.csi.v1.CapacityRange;
import dev.ordinal.csi.v1.ControllerExpandVolumeRequest;
import dev.ordinal.csi.v1.ControllerExpandVolumeResponse;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.GetCapacityRequest;
import dev.ordinal.csi.v1.ListVolumesRequest;
import dev.ordinal.csi.v1.NodeExpandVolumeRequest;
import dev.ordinal.csi.v1.NodeExpandVolumeResponse;
import dev.ordinal.csi.v1.NodeGetVolumeStatsRequest;
import dev.ordinal.csi.v1.NodeGetVolumeStatsResponse;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.VolumeCapability;
import dev.ordinal.csi.v1.VolumeUsage;
import dev.ordinal.driver.host.Command;
import dev.ordinal.driver.support.Csi;
import dev.ordinal.driver.support.InProcessDriver;
import dev.ordinal.driver.support.LoopDisk;
import dev.ordinal.driver.support.TestRoot;
import io.grpc.Status;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ControllerExpandVolume and NodeExpandVolume, judged by what the pod sees: the filesystem (or device, or limit)
 * is larger, writes past the old size succeed, and nothing written before is lost. xfs grows online; ext4 cannot
 * on this kernel (EPERM) and grows at its next NodeStageVolume; a block device grows at once; a subvolume's limit
 * is raised by the controller alone; a directory only records the new size.
 */
class ExpansionTest {

    private static final VolumeCapability EXT4 = Csi.mount("ext4");
    private static final VolumeCapability XFS = Csi.mount("xfs");

    private TestRoot root;
    private Path disk;
    private InProcessDriver driver;

    @BeforeEach
    void start() {
        root = TestRoot.create("expansion");
        disk = root.dir("disks/d1");
        // A configured capacity below the machine's free space: GetCapacity follows the filesystem's free space,
        // which other processes on the shared root filesystem move between two calls that a test compares.
        driver = InProcessDriver.start(root.path(), Map.of("d1", disk), Map.of("d1", Capacity.ofGiB(4)));
    }

    @AfterEach
    void stop() {
        try {
            driver.close();
        } finally {
            // Fails the test when a mount or a loop device outlived it.
            root.close();
        }
    }

    // ---- what each layout shows after growing ----

    @Test
    void xfsImageGrowsOnlineUnderAWriterAndThenTakesWritesPastItsOldSize() throws Exception {
        String id = create("xfs-online", 300 * MIB, "image", XFS);
        Published p = stageAndPublish(id, "xfs-online", XFS);
        long oldTotal = bytes(stats(id, p.target())).getTotal();
        assertTrue(oldTotal <= 300 * MIB, "total " + oldTotal);

        AtomicInteger written = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        byte[] chunk = pattern((int) MIB, 5);
        Thread writer = new Thread(() -> {
            try {
                // Rewrites 64 files of 1 MiB in turn: always writing, never more than 64 MiB in the volume.
                for (int i = 0; !stop.get(); i++) {
                    write(p.target().resolve("w-" + (i % 64)), chunk);
                    written.set(i + 1);
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "expansion-writer");
        writer.start();
        ControllerExpandVolumeResponse controller;
        NodeExpandVolumeResponse node;
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> written.get() >= 10 || failure.get() != null);
            controller = expand(id, 600 * MIB);
            node = nodeExpand(id, p, XFS);
            int afterExpansion = written.get();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> written.get() >= afterExpansion + 10 || failure.get() != null);
        } finally {
            stop.set(true);
            writer.join(Duration.ofSeconds(30));
        }
        assertFalse(writer.isAlive(), "the writer stopped");
        assertNull(failure.get(), () -> "the writer failed during the expansion: " + failure.get());
        assertEquals(600 * MIB, controller.getCapacityBytes());
        assertTrue(controller.getNodeExpansionRequired(), "an image needs the node to grow its filesystem");
        assertEquals(600 * MIB, node.getCapacityBytes());

        long newTotal = bytes(stats(id, p.target())).getTotal();
        assertTrue(newTotal > oldTotal + 250 * MIB && newTotal <= 600 * MIB,
                "after growing 300 -> 600 MiB the volume shows " + newTotal + " bytes (was " + oldTotal + ")");
        assertEquals(newTotal, Files.getFileStore(p.target()).getTotalSpace(), "statfs agrees with the stats");

        // 400 MiB more than the 300 the volume had: only a grown filesystem takes them.
        Map<String, String> big = writeFiles(p.target(), "big", 25, 16 * MIB);
        assertEquals(big, checksums(p.target(), "big"));

        unpublishAndUnstage(id, p);
        delete(id);
    }

    @Test
    void ext4ImageGrowsAtItsNextStageWithItsDataIntact() throws IOException {
        String id = create("ext4-offline", 64 * MIB, "image", EXT4);
        Published p = stageAndPublish(id, "ext4-offline", EXT4);
        Map<String, String> before = writeFiles(p.target(), "data", 3, 5 * MIB + 7);
        long oldTotal = bytes(stats(id, p.target())).getTotal();

        ControllerExpandVolumeResponse controller = expand(id, 160 * MIB);
        assertEquals(160 * MIB, controller.getCapacityBytes());
        assertTrue(controller.getNodeExpansionRequired());
        // The kernel refuses to grow a mounted ext4 here: NodeExpandVolume still succeeds, the size waits.
        assertEquals(160 * MIB, nodeExpand(id, p, EXT4).getCapacityBytes());
        assertEquals(oldTotal, bytes(stats(id, p.target())).getTotal(), "a mounted ext4 keeps its size");
        assertEquals(before, checksums(p.target(), "data"));

        unpublishAndUnstage(id, p);
        p = stageAndPublish(id, "ext4-offline", EXT4);
        long newTotal = bytes(stats(id, p.target())).getTotal();
        assertTrue(newTotal > oldTotal + 64 * MIB && newTotal <= 160 * MIB,
                "after the next stage a 64 -> 160 MiB volume shows " + newTotal + " bytes (was " + oldTotal + ")");
        assertEquals(newTotal, Files.getFileStore(p.target()).getTotalSpace(), "statfs agrees with the stats");
        assertEquals(before, checksums(p.target(), "data"), "the data survived the growth");
        Map<String, String> more = writeFiles(p.target(), "more", 5, 16 * MIB);
        assertEquals(more, checksums(p.target(), "more"), "80 MiB more fit in what was a 64 MiB volume");

        unpublishAndUnstage(id, p);
        delete(id);
    }

    @Test
    void ext4ImageThatCannotGrowIsNotForceCheckedAtEveryStage() {
        // mke2fs leaves out a last block group of 1 MiB: this volume's filesystem is 1024 MiB for good.
        String id = create("ext4-tail", 1025 * MIB, "image", EXT4);
        for (int stage = 0; stage < 3; stage++) {
            Published p = stageAndPublish(id, "ext4-tail", EXT4);
            unpublishAndUnstage(id, p);
        }
        // e2fsck -f resets the mount count: three mounts and no check in between count three.
        String superblock = Command.check("dumpe2fs", "dumpe2fs", "-h", "--",
                disk.resolve("volumes").resolve(id.split(":")[3]).resolve("image").toString());
        assertTrue(superblock.lines().anyMatch(l -> l.matches("Mount count:\\s+3")),
                "a filesystem that cannot grow is not checked again at each stage:\n" + superblock);
        delete(id);
    }

    @Test
    void blockImageDeviceGrowsAtOnceAndKeepsItsBytes() throws IOException {
        VolumeCapability cap = Csi.block();
        String id = create("raw-grow", 16 * MIB, "image", cap);
        Published p = stageAndPublish(id, "raw-grow", cap);
        byte[] head = pattern(8192, 7);
        byte[] tail = pattern(4096, 9);
        try (RandomAccessFile device = new RandomAccessFile(p.target().toFile(), "rw")) {
            assertEquals(16 * MIB, device.getChannel().size());
            device.write(head);
            device.seek(16 * MIB - tail.length);
            device.write(tail);
            device.getFD().sync();
        }

        assertTrue(expand(id, 48 * MIB).getNodeExpansionRequired());
        assertEquals(48 * MIB, nodeExpand(id, p, cap).getCapacityBytes());

        assertEquals(Long.toString(48 * MIB), Command.check("blockdev", "blockdev", "--getsize64",
                p.target().toString()).strip(), "the published device reports the new size");
        assertEquals(48 * MIB, bytes(stats(id, p.target())).getTotal());
        byte[] end = pattern(4096, 13);
        try (RandomAccessFile device = new RandomAccessFile(p.target().toFile(), "rw")) {
            assertEquals(48 * MIB, device.getChannel().size());
            byte[] readHead = new byte[head.length];
            byte[] readTail = new byte[tail.length];
            device.readFully(readHead);
            device.seek(16 * MIB - tail.length);
            device.readFully(readTail);
            assertArrayEquals(head, readHead, "the start of the device is intact");
            assertArrayEquals(tail, readTail, "the old end of the device is intact");
            device.seek(48 * MIB - end.length);
            device.write(end);
            device.getFD().sync();
            device.seek(48 * MIB - end.length);
            byte[] readEnd = new byte[end.length];
            device.readFully(readEnd);
            assertArrayEquals(end, readEnd, "the new end of the device is writable");
        }

        unpublishAndUnstage(id, p);
        delete(id);
    }

    @Test
    void subvolumeLimitRisesAtOnceAndTakesWritesPastTheOldLimit() throws IOException {
        try (LoopDisk btrfs = LoopDisk.make(root, "btrfs", 1024 * MIB, "mkfs.btrfs", "-q")) {
            InProcessDriver onBtrfs = InProcessDriver.start(root.path(), Map.of("b1", btrfs.mountPoint()));
            InProcessDriver plain = driver;
            driver = onBtrfs;
            try {
                VolumeCapability cap = Csi.mount("");
                String id = create("sub-grow", 16 * MIB, "subvolume", cap);
                Published p = stageAndPublish(id, "sub-grow", cap);
                Map<String, String> before = writeFiles(p.target(), "data", 1, 12 * MIB);
                assertEquals(16 * MIB, bytes(stats(id, p.target())).getTotal());

                ControllerExpandVolumeResponse response = expand(id, 64 * MIB);
                assertEquals(64 * MIB, response.getCapacityBytes());
                assertFalse(response.getNodeExpansionRequired(), "the qgroup limit is the controller's to raise");
                assertEquals(64 * MIB, bytes(stats(id, p.target())).getTotal(), "the new limit shows at once");
                Map<String, String> more = writeFiles(p.target(), "more", 3, 12 * MIB);
                assertEquals(more, checksums(p.target(), "more"), "48 MiB fit in what was a 16 MiB subvolume");
                assertEquals(before, checksums(p.target(), "data"));

                unpublishAndUnstage(id, p);
                delete(id);
            } finally {
                driver = plain;
                onBtrfs.close();
            }
        }
    }

    @Test
    void dirExpansionRecordsTheNewSize() {
        VolumeCapability cap = Csi.mount("");
        String id = create("dir-grow", 16 * MIB, "dir", cap);
        ControllerExpandVolumeResponse response = expand(id, 40 * MIB);
        assertEquals(40 * MIB, response.getCapacityBytes());
        assertFalse(response.getNodeExpansionRequired());
        assertEquals(40 * MIB, listedCapacity(id));
        delete(id);
    }

    // ---- the rules ----

    @Test
    void shrinkingIsOutOfRange() {
        String id = create("shrink", 32 * MIB, "image", EXT4);
        String message = assertStatus(Status.Code.OUT_OF_RANGE, () -> expand(id, 16 * MIB));
        assertTrue(message.contains(id), message);
        assertEquals(32 * MIB, listedCapacity(id), "a refused shrink leaves the size alone");
        assertEquals(32 * MIB, imageBytes(id), "and the image file too");
        delete(id);
    }

    @Test
    void sameSizeIsOkAndIdempotent() {
        String id = create("same", 32 * MIB, "image", EXT4);
        long available = available("image");
        assertEquals(32 * MIB, expand(id, 32 * MIB).getCapacityBytes());
        assertEquals(32 * MIB, expand(id, 32 * MIB).getCapacityBytes());
        assertEquals(32 * MIB, listedCapacity(id));
        assertEquals(available, available("image"), "expanding to the same size takes nothing");
        // A retried real expansion is answered the same way twice as well.
        assertEquals(48 * MIB, expand(id, 48 * MIB).getCapacityBytes());
        assertEquals(48 * MIB, expand(id, 48 * MIB).getCapacityBytes());
        assertEquals(available - 16 * MIB, available("image"), "a retried expansion is counted once");
        delete(id);
    }

    @Test
    void growingPastTheFreeSpaceIsResourceExhausted() {
        Path small = root.dir("disks/small");
        try (InProcessDriver limited = InProcessDriver.start(root.path(), Map.of("s1", small),
                Map.of("s1", Capacity.ofMiB(256)))) {
            InProcessDriver plain = driver;
            driver = limited;
            try {
                String first = create("first", 100 * MIB, "image", EXT4);
                String second = create("second", 100 * MIB, "image", EXT4);
                String message = assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> expand(first, 200 * MIB));
                assertTrue(message.contains(first), message);
                assertEquals(100 * MIB, listedCapacity(first), "a refused expansion leaves the size alone");
                assertEquals(100 * MIB, imageBytes(small, first), "and the image file too");
                // What is free (56 MiB) can be taken.
                assertEquals(150 * MIB, expand(first, 150 * MIB).getCapacityBytes());
                assertEquals(6 * MIB, available("image"));
                delete(first);
                delete(second);
            } finally {
                driver = plain;
            }
        }
    }

    @Test
    void unknownVolumeIsNotFound() {
        String unknown = "local:" + InProcessDriver.NODE + ":d1:never-made_000000000000";
        assertStatus(Status.Code.NOT_FOUND, () -> expand(unknown, 64 * MIB));
        assertStatus(Status.Code.NOT_FOUND, () -> expand("not-an-id-of-ours", 64 * MIB));
        Path somewhere = root.dir("pods/nowhere/volume");
        assertStatus(Status.Code.NOT_FOUND, () -> driver.node().nodeExpandVolume(NodeExpandVolumeRequest
                .newBuilder().setVolumeId(unknown).setVolumePath(somewhere.toString()).build()));
    }

    @Test
    void missingCapacityRangeIsInvalidArgument() {
        String id = create("no-range", 32 * MIB, "image", EXT4);
        String message = assertStatus(Status.Code.INVALID_ARGUMENT, () -> driver.controller().controllerExpandVolume(
                ControllerExpandVolumeRequest.newBuilder().setVolumeId(id).build()));
        assertTrue(message.contains("capacity_range"), message);
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> driver.controller().controllerExpandVolume(
                ControllerExpandVolumeRequest.newBuilder().setCapacityRange(CapacityRange.newBuilder()
                        .setRequiredBytes(64 * MIB)).build()));
        assertEquals(32 * MIB, listedCapacity(id));
        delete(id);
    }

    @Test
    void getCapacityReflectsTheGrownSize() {
        String id = create("counted", 32 * MIB, "image", EXT4);
        long before = available("image");
        expand(id, 96 * MIB);
        assertEquals(before - 64 * MIB, available("image"), "the grown 64 MiB are no longer offered");
        delete(id);
        assertEquals(before + 32 * MIB, available("image"), "deleting the grown volume gives back all 96 MiB");
    }

    // ---- helpers ----

    record Published(Path staging, Path target) {
    }

    private String create(String name, long bytes, String layout, VolumeCapability cap) {
        return driver.controller().createVolume(Csi.create(name, bytes, layout, cap)).getVolume().getVolumeId();
    }

    private ControllerExpandVolumeResponse expand(String id, long bytes) {
        return driver.controller().controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                .setVolumeId(id).setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(bytes)).build());
    }

    private NodeExpandVolumeResponse nodeExpand(String id, Published p, VolumeCapability cap) {
        return driver.node().nodeExpandVolume(NodeExpandVolumeRequest.newBuilder().setVolumeId(id)
                .setVolumePath(p.target().toString()).setStagingTargetPath(p.staging().toString())
                .setVolumeCapability(cap).build());
    }

    private Published stageAndPublish(String id, String name, VolumeCapability cap) {
        Path staging = root.path().resolve("staging/" + name);
        Path target = root.path().resolve("pods/" + name + "/volume");
        driver.node().nodeStageVolume(Csi.stage(id, staging, cap));
        driver.node().nodePublishVolume(Csi.publish(id, staging, target, cap, false));
        return new Published(staging, target);
    }

    private void unpublishAndUnstage(String id, Published p) {
        driver.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder().setVolumeId(id)
                .setTargetPath(p.target().toString()).build());
        driver.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(id)
                .setStagingTargetPath(p.staging().toString()).build());
    }

    private void delete(String id) {
        driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
    }

    private NodeGetVolumeStatsResponse stats(String id, Path path) {
        NodeGetVolumeStatsResponse stats = driver.node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                .setVolumeId(id).setVolumePath(path.toString()).build());
        assertFalse(stats.getVolumeCondition().getAbnormal(), stats.getVolumeCondition().getMessage());
        return stats;
    }

    private static VolumeUsage bytes(NodeGetVolumeStatsResponse stats) {
        return stats.getUsageList().stream().filter(u -> u.getUnit() == VolumeUsage.Unit.BYTES).findFirst()
                .orElseThrow(() -> new AssertionError("no byte usage in " + stats.getUsageList()));
    }

    private long available(String layout) {
        return driver.controller().getCapacity(GetCapacityRequest.newBuilder().putParameters("layout", layout)
                .build()).getAvailableCapacity();
    }

    private long listedCapacity(String id) {
        return driver.controller().listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesList().stream()
                .filter(e -> e.getVolume().getVolumeId().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("volume " + id + " is not listed")).getVolume()
                .getCapacityBytes();
    }

    private long imageBytes(String id) {
        return imageBytes(disk, id);
    }

    /** The size of the image file behind a volume id ({@code local:<node>:<disk>:<name>}). */
    private static long imageBytes(Path disk, String id) {
        try {
            return Files.size(disk.resolve("volumes").resolve(id.split(":")[3]).resolve("image"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code count} files of random bytes named {@code <prefix>-<i>}, each synced; returns their sums. */
    private static Map<String, String> writeFiles(Path dir, String prefix, int count, long bytesEach)
            throws IOException {
        Map<String, String> sums = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            byte[] content = pattern((int) bytesEach, prefix.hashCode() * 31L + i);
            write(dir.resolve(prefix + "-" + i), content);
            sums.put(prefix + "-" + i, sha256(content));
        }
        return sums;
    }

    /** SHA-256 of the files under {@code dir} whose name starts with {@code prefix + "-"}. */
    private static Map<String, String> checksums(Path dir, String prefix) throws IOException {
        Map<String, String> sums = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith(prefix + "-")).toList()) {
                sums.put(f.getFileName().toString(), sha256(Files.readAllBytes(f)));
            }
        }
        return sums;
    }

    private static void write(Path file, byte[] content) throws IOException {
        try (FileOutputStream out = new FileOutputStream(file.toFile())) {
            out.write(content);
            out.getFD().sync();
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] pattern(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
