package dev.ordinal.driver;

import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.assertStatus;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.csi.v1.CapacityRange;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
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
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Layout {@code image}: a sparse file on the disk, attached to a loop device and formatted on first stage. These
 * tests drive the real services over gRPC against real loop devices and filesystems and check what a pod would
 * notice: its bytes survive a re-publish elsewhere, the volume is exactly as large as asked, read-only means
 * read-only, and a block volume is a device that keeps what was written to it.
 */
class ImageVolumeTest {

    private TestRoot root;
    private InProcessDriver driver;
    private Path disk;

    @BeforeEach
    void start() {
        root = TestRoot.create("image");
        disk = root.dir("disks/d1");
        driver = InProcessDriver.start(root.path(), Map.of("d1", disk));
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

    @Test
    void ext4DataSurvivesRepublishAtAnotherTarget() throws IOException {
        VolumeCapability cap = Csi.mount("ext4");
        String id = create("round-trip", 32 * MIB, cap).getVolumeId();
        Path staging = root.path().resolve("staging/round-trip");
        Path first = root.path().resolve("pods/a/volume");
        Path second = root.path().resolve("pods/b/volume");

        driver.node().nodeStageVolume(Csi.stage(id, staging, cap));
        driver.node().nodePublishVolume(Csi.publish(id, staging, first, cap, false));
        assertEquals("ext4", MountTable.read().at(first).orElseThrow().fsType());

        byte[] big = pattern((int) (3 * MIB + 17), 42);
        Files.write(first.resolve("big.bin"), big);
        Files.createDirectories(first.resolve("sub/dir"));
        Files.writeString(first.resolve("sub/dir/hello.txt"), "hello from pod a\n");
        sync(first.resolve("big.bin"));

        unpublish(id, first);
        assertFalse(Files.exists(first), "an unpublished target path is removed");

        driver.node().nodePublishVolume(Csi.publish(id, staging, second, cap, false));
        assertArrayEquals(big, Files.readAllBytes(second.resolve("big.bin")));
        assertEquals("hello from pod a\n", Files.readString(second.resolve("sub/dir/hello.txt")));

        unpublish(id, second);
        unstage(id, staging);
        delete(id);
        assertEquals(List.of(), list(disk.resolve("volumes")), "DeleteVolume leaves nothing on the disk");
    }

    @Test
    void ext4VolumeIsAsLargeAsAskedAndNoLarger() throws IOException {
        long requested = 32 * MIB;
        VolumeCapability cap = Csi.mount("ext4");
        Volume volume = create("full-ext4", requested, cap);
        assertEquals(requested, volume.getCapacityBytes());
        String id = volume.getVolumeId();
        Path staging = root.path().resolve("staging/full-ext4");
        Path target = root.path().resolve("pods/full/volume");
        driver.node().nodeStageVolume(Csi.stage(id, staging, cap));
        driver.node().nodePublishVolume(Csi.publish(id, staging, target, cap, false));

        VolumeUsage bytes = usage(stats(id, target), VolumeUsage.Unit.BYTES);
        assertTrue(bytes.getTotal() <= requested, "total " + bytes.getTotal() + " > requested " + requested);
        assertTrue(bytes.getTotal() >= requested * 3 / 4, "total " + bytes.getTotal() + " is far below " + requested);

        Fill fill = fillUntilFailure(target, 4 * requested);
        assertTrue(fill.failure().getMessage().contains("No space left on device"),
                "writing past the end failed with: " + fill.failure());
        assertTrue(fill.written() <= requested, "wrote " + fill.written() + " bytes into a " + requested + " volume");
        assertTrue(fill.written() >= requested / 2, "only " + fill.written() + " bytes fit in " + requested);

        unpublish(id, target);
        unstage(id, staging);
        delete(id);
    }

    @Test
    void xfsIsRoundedUpToItsMinimumOrRefusedBelowIt() throws IOException {
        VolumeCapability cap = Csi.mount("xfs");
        String message = assertStatus(Status.Code.OUT_OF_RANGE, () -> driver.controller().createVolume(
                CreateVolumeRequest.newBuilder().setName("xfs-too-small")
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(100 * MIB)
                                .setLimitBytes(200 * MIB))
                        .addVolumeCapabilities(cap).putParameters("layout", "image").build()));
        assertTrue(message.contains("300"), message);
        assertEquals(List.of(), list(disk.resolve("volumes")), "a refused volume leaves nothing on the disk");

        long minimum = 300 * MIB;
        Volume volume = create("xfs-small", 100 * MIB, cap);
        assertEquals(minimum, volume.getCapacityBytes(), "a 100 MiB xfs request is rounded up to 300 MiB");
        String id = volume.getVolumeId();
        Path staging = root.path().resolve("staging/xfs");
        Path target = root.path().resolve("pods/xfs/volume");
        driver.node().nodeStageVolume(Csi.stage(id, staging, cap));
        driver.node().nodePublishVolume(Csi.publish(id, staging, target, cap, false));
        assertEquals("xfs", MountTable.read().at(target).orElseThrow().fsType());

        VolumeUsage bytes = usage(stats(id, target), VolumeUsage.Unit.BYTES);
        assertTrue(bytes.getTotal() <= minimum, "total " + bytes.getTotal() + " > " + minimum);
        assertTrue(bytes.getTotal() >= minimum * 3 / 4, "total " + bytes.getTotal() + " is far below " + minimum);

        Fill fill = fillUntilFailure(target, 2 * minimum);
        assertTrue(fill.failure().getMessage().contains("No space left on device"),
                "writing past the end failed with: " + fill.failure());
        assertTrue(fill.written() <= minimum, "wrote " + fill.written() + " bytes into a " + minimum + " volume");
        assertTrue(fill.written() >= minimum / 2, "only " + fill.written() + " bytes fit in " + minimum);

        unpublish(id, target);
        unstage(id, staging);
        delete(id);
    }

    @Test
    void readOnlyPublishRefusesWrites() throws IOException {
        VolumeCapability cap = Csi.mount("ext4");
        String id = create("read-only", 16 * MIB, cap).getVolumeId();
        Path staging = root.path().resolve("staging/ro");
        Path writer = root.path().resolve("pods/writer/volume");
        Path reader = root.path().resolve("pods/reader/volume");
        driver.node().nodeStageVolume(Csi.stage(id, staging, cap));
        driver.node().nodePublishVolume(Csi.publish(id, staging, writer, cap, false));
        Files.writeString(writer.resolve("note.txt"), "written before");
        driver.node().nodePublishVolume(Csi.publish(id, staging, reader, cap, true));

        assertEquals("written before", Files.readString(reader.resolve("note.txt")));
        FileSystemException refused = assertThrows(FileSystemException.class,
                () -> Files.writeString(reader.resolve("other.txt"), "nope"));
        assertTrue(String.valueOf(refused.getReason()).contains("Read-only file system"), refused.toString());
        FileSystemException overwrite = assertThrows(FileSystemException.class,
                () -> Files.writeString(reader.resolve("note.txt"), "changed"));
        assertTrue(String.valueOf(overwrite.getReason()).contains("Read-only file system"), overwrite.toString());
        assertEquals("written before", Files.readString(writer.resolve("note.txt")));
        // The read-write publish next to it still writes.
        Files.writeString(writer.resolve("after.txt"), "still writable");

        unpublish(id, reader);
        unpublish(id, writer);
        unstage(id, staging);
        delete(id);
    }

    @Test
    void blockVolumeKeepsWhatWasWrittenToTheDevice() throws IOException {
        VolumeCapability cap = Csi.block();
        long size = 16 * MIB;
        Volume volume = create("raw", size, cap);
        String id = volume.getVolumeId();
        Path staging = root.path().resolve("staging/raw");
        Path target = root.path().resolve("pods/raw/dev");
        driver.node().nodeStageVolume(Csi.stage(id, staging, cap));
        driver.node().nodePublishVolume(Csi.publish(id, staging, target, cap, false));

        byte[] head = pattern(8192, 7);
        byte[] tail = pattern(4096, 9);
        try (RandomAccessFile device = new RandomAccessFile(target.toFile(), "rw")) {
            assertEquals(size, deviceSize(device), "the device is as large as the volume");
            device.seek(0);
            device.write(head);
            device.seek(size - tail.length);
            device.write(tail);
            device.getFD().sync();
        }

        NodeGetVolumeStatsResponse stats = stats(id, target);
        assertFalse(stats.getVolumeCondition().getAbnormal(), stats.getVolumeCondition().getMessage());
        assertEquals(1, stats.getUsageCount(), "a block volume reports bytes only: " + stats.getUsageList());
        VolumeUsage bytes = stats.getUsage(0);
        assertEquals(VolumeUsage.Unit.BYTES, bytes.getUnit());
        assertEquals(size, bytes.getTotal());
        assertEquals(0, bytes.getUsed());
        assertEquals(0, bytes.getAvailable());

        unpublish(id, target);
        assertFalse(Files.exists(target), "an unpublished block target is removed");
        driver.node().nodePublishVolume(Csi.publish(id, staging, target, cap, false));
        try (RandomAccessFile device = new RandomAccessFile(target.toFile(), "r")) {
            byte[] readHead = new byte[head.length];
            byte[] readTail = new byte[tail.length];
            device.readFully(readHead);
            device.seek(size - tail.length);
            device.readFully(readTail);
            assertArrayEquals(head, readHead);
            assertArrayEquals(tail, readTail);
        }

        unpublish(id, target);
        unstage(id, staging);
        delete(id);
    }

    @Test
    void readOnlyBlockPublishIsAReadOnlyDeviceBesideAWritableOne() throws IOException {
        VolumeCapability cap = Csi.block();
        long size = 16 * MIB;
        String id = create("raw-ro", size, cap).getVolumeId();
        Path image = imageOf(id);
        Path staging = root.path().resolve("staging/raw-ro");
        Path writer = root.path().resolve("pods/writer/dev");
        Path reader = root.path().resolve("pods/reader/dev");
        Path readerByMode = root.path().resolve("pods/reader-by-mode/dev");
        driver.node().nodeStageVolume(Csi.stage(id, staging, cap));
        driver.node().nodePublishVolume(Csi.publish(id, staging, writer, cap, false));
        byte[] before = pattern(4096, 3);
        writeAt(writer, 0, before);

        driver.node().nodePublishVolume(Csi.publish(id, staging, reader, cap, true));
        // The same promise for a capability that reads only, with readonly left false.
        driver.node().nodePublishVolume(Csi.publish(id, staging, readerByMode, readerOnly(cap), false));
        driver.node().nodePublishVolume(Csi.publish(id, staging, reader, cap, true));
        assertStatus(Status.Code.ALREADY_EXISTS,
                () -> driver.node().nodePublishVolume(Csi.publish(id, staging, reader, cap, false)));
        assertArrayEquals(before, readAt(reader, 0, before.length), "the reader sees what the writer wrote");

        byte[] marker = pattern(4096, 4);
        for (Path readOnly : List.of(reader, readerByMode)) {
            IOException refused = assertThrows(IOException.class, () -> writeAt(readOnly, 8192, marker));
            assertTrue(refused.getMessage().contains("Operation not permitted")
                    || refused.getMessage().contains("Read-only file system"), refused.toString());
            // dd, as a pod would write, fails the same way.
            Path markerFile = root.path().resolve("marker");
            Files.write(markerFile, marker);
            Command.Result dd = Command.run("dd", "if=" + markerFile, "of=" + readOnly, "bs=4096", "seek=3",
                    "conv=notrunc,fsync");
            assertFalse(dd.ok(), "dd into a read-only block target succeeded: " + dd.describe());
        }
        assertArrayEquals(new byte[marker.length], readAt(image, 8192, marker.length),
                "nothing written through a read-only target reached the image");
        assertArrayEquals(new byte[marker.length], readAt(image, 3 * 4096, marker.length));
        byte[] after = pattern(4096, 5);
        writeAt(writer, 4096, after);
        assertArrayEquals(after, readAt(image, 4096, after.length), "the read-write target still writes");
        assertEquals(1, LoopDevices.readOnlyDevices(image).size(), "read-only targets share one read-only device");

        unpublish(id, reader);
        assertEquals(1, LoopDevices.readOnlyDevices(image).size(), "a read-only target still binds it");
        unpublish(id, readerByMode);
        assertEquals(List.of(), LoopDevices.readOnlyDevices(image), "the last read-only unpublish detaches it");
        unpublish(id, readerByMode);
        unpublish(id, writer);
        unstage(id, staging);
        delete(id);
    }

    @Test
    void recoveryDetachesReadOnlyDevicesNoTargetBinds() throws IOException {
        VolumeCapability cap = Csi.block();
        String bound = create("raw-ro-bound", 16 * MIB, cap).getVolumeId();
        String crashed = create("raw-ro-crashed", 16 * MIB, cap).getVolumeId();
        Path staging = root.path().resolve("staging/raw-ro-bound");
        Path reader = root.path().resolve("pods/raw-ro-bound/dev");
        driver.node().nodeStageVolume(Csi.stage(bound, staging, cap));
        driver.node().nodePublishVolume(Csi.publish(bound, staging, reader, cap, true));
        // What a crash between a read-only publish's attach and its bind leaves: a device nothing binds.
        Path left = LoopDevices.attachReadOnly(imageOf(crashed));

        driver.close();
        driver = InProcessDriver.start(root.path(), Map.of("d1", disk));

        assertFalse(LoopDevices.backing(imageOf(crashed)).contains(left), "recovery detached " + left);
        assertEquals(1, LoopDevices.readOnlyDevices(imageOf(bound)).size(), "a bound read-only device stays");
        assertTrue(LoopDevices.writable(imageOf(bound)).isPresent(), "a staged block volume keeps its device");
        assertArrayEquals(new byte[512], readAt(reader, 0, 512), "the read-only target still reads");
        unpublish(bound, reader);
        unstage(bound, staging);
        delete(bound);
        delete(crashed);
    }

    @Test
    void unstagingABlockVolumeStillPublishedKeepsItsDevice() throws IOException {
        VolumeCapability cap = Csi.block();
        long size = 16 * MIB;
        String id = create("raw-early-unstage", size, cap).getVolumeId();
        Path staging = root.path().resolve("staging/raw2");
        Path target = root.path().resolve("pods/raw2/dev");
        driver.node().nodeStageVolume(Csi.stage(id, staging, cap));
        driver.node().nodePublishVolume(Csi.publish(id, staging, target, cap, false));

        // Out of order, as a CO recovering from a crash may call it: the publish is still there and must keep
        // working, so the loop device behind it stays attached.
        unstage(id, staging);
        byte[] written = pattern(4096, 11);
        try (RandomAccessFile device = new RandomAccessFile(target.toFile(), "rw")) {
            assertEquals(size, deviceSize(device), "the published device still has the volume behind it");
            device.write(written);
            device.getFD().sync();
            device.seek(0);
            byte[] read = new byte[written.length];
            device.readFully(read);
            assertArrayEquals(written, read);
        }
        assertStatus(Status.Code.FAILED_PRECONDITION, () -> delete(id));

        unpublish(id, target);
        unstage(id, staging);
        delete(id);
    }

    @Test
    void statsReportAVolumeUnmountedBehindTheDriversBackAsAbnormal() {
        VolumeCapability cap = Csi.mount("ext4");
        String id = create("lost-mount", 16 * MIB, cap).getVolumeId();
        Path staging = root.path().resolve("staging/lost");
        Path target = root.path().resolve("pods/lost/volume");
        driver.node().nodeStageVolume(Csi.stage(id, staging, cap));
        driver.node().nodePublishVolume(Csi.publish(id, staging, target, cap, false));

        NodeGetVolumeStatsResponse healthy = stats(id, target);
        assertFalse(healthy.getVolumeCondition().getAbnormal(), healthy.getVolumeCondition().getMessage());
        assertEquals(2, healthy.getUsageCount(), "a mounted volume reports bytes and inodes");
        assertTrue(usage(healthy, VolumeUsage.Unit.INODES).getTotal() > 0);

        Command.Result umount = Command.run("umount", "--", target.toString());
        assertTrue(umount.ok(), umount.describe());
        NodeGetVolumeStatsResponse lost = stats(id, target);
        assertTrue(lost.getVolumeCondition().getAbnormal(), "a volume no longer mounted is abnormal");
        assertTrue(lost.getVolumeCondition().getMessage().contains("not mounted"),
                lost.getVolumeCondition().getMessage());

        Path missing = root.path().resolve("pods/never/volume");
        String message = assertStatus(Status.Code.NOT_FOUND, () -> stats(id, missing));
        assertTrue(message.contains(missing.toString()), message);

        unpublish(id, target);
        unstage(id, staging);
        delete(id);
    }

    @Test
    void deletingAStagedVolumeIsRefusedUntilUnstaged() throws IOException {
        VolumeCapability cap = Csi.mount("ext4");
        String id = create("busy", 16 * MIB, cap).getVolumeId();
        Path staging = root.path().resolve("staging/busy");
        driver.node().nodeStageVolume(Csi.stage(id, staging, cap));
        Files.writeString(staging.resolve("keep.txt"), "keep");

        String message = assertStatus(Status.Code.FAILED_PRECONDITION, () -> delete(id));
        assertTrue(message.contains(id), message);
        assertEquals("keep", Files.readString(staging.resolve("keep.txt")), "a refused delete leaves the data alone");

        unstage(id, staging);
        delete(id);
        assertEquals(List.of(), list(disk.resolve("volumes")));
        // Deleting again is fine: it is already gone.
        delete(id);
    }

    @Test
    void stageAndPublishAreIdempotentAndAStagingPathHoldsOneVolume() throws IOException {
        VolumeCapability cap = Csi.mount("ext4");
        String id = create("retried", 16 * MIB, cap).getVolumeId();
        String other = create("intruder", 16 * MIB, cap).getVolumeId();
        Path staging = root.path().resolve("staging/retried");
        Path target = root.path().resolve("pods/retried/volume");

        driver.node().nodeStageVolume(Csi.stage(id, staging, cap));
        driver.node().nodeStageVolume(Csi.stage(id, staging, cap));
        driver.node().nodePublishVolume(Csi.publish(id, staging, target, cap, false));
        driver.node().nodePublishVolume(Csi.publish(id, staging, target, cap, false));
        assertEquals(1, mountsAt(staging), "a retried stage mounts once");
        assertEquals(1, mountsAt(target), "a retried publish mounts once");
        Files.writeString(target.resolve("f.txt"), "one volume");

        String message = assertStatus(Status.Code.ALREADY_EXISTS,
                () -> driver.node().nodeStageVolume(Csi.stage(other, staging, cap)));
        assertTrue(message.contains(staging.toString()), message);
        assertEquals("one volume", Files.readString(target.resolve("f.txt")), "the first volume is still there");

        unpublish(id, target);
        unpublish(id, target);
        unstage(id, staging);
        unstage(id, staging);
        delete(id);
        delete(other);
        assertEquals(List.of(), list(disk.resolve("volumes")));
    }

    // ---- helpers ----

    private Volume create(String name, long bytes, VolumeCapability cap) {
        return driver.controller().createVolume(Csi.create(name, bytes, "image", cap)).getVolume();
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

    private static VolumeUsage usage(NodeGetVolumeStatsResponse stats, VolumeUsage.Unit unit) {
        return stats.getUsageList().stream().filter(u -> u.getUnit() == unit).findFirst()
                .orElseThrow(() -> new AssertionError("no " + unit + " usage in " + stats.getUsageList()));
    }

    private static long mountsAt(Path path) {
        try {
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .map(l -> l.split(" ")[4]).filter(p -> p.equals(path.toString())).count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        try (var entries = Files.list(dir)) {
            return entries.toList();
        }
    }

    private Path imageOf(String id) {
        return disk.resolve("volumes").resolve(id.substring(id.lastIndexOf(':') + 1)).resolve("image");
    }

    private static VolumeCapability readerOnly(VolumeCapability cap) {
        return cap.toBuilder().setAccessMode(VolumeCapability.AccessMode.newBuilder()
                .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_READER_ONLY)).build();
    }

    private static void writeAt(Path device, long offset, byte[] bytes) throws IOException {
        try (RandomAccessFile out = new RandomAccessFile(device.toFile(), "rw")) {
            out.seek(offset);
            out.write(bytes);
            out.getFD().sync();
        }
    }

    private static byte[] readAt(Path device, long offset, int length) throws IOException {
        try (RandomAccessFile in = new RandomAccessFile(device.toFile(), "r")) {
            byte[] bytes = new byte[length];
            in.seek(offset);
            in.readFully(bytes);
            return bytes;
        }
    }

    private static long deviceSize(RandomAccessFile device) throws IOException {
        // length() of a block device is 0 through stat; the channel's size is what lseek(SEEK_END) finds.
        return device.getChannel().size();
    }

    private static void sync(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.getFD().sync();
        }
    }

    private static byte[] pattern(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** How many bytes went in before the first failure, and that failure. */
    record Fill(long written, IOException failure) {
    }

    /** Writes 1 MiB chunks into files under {@code dir} until a write (or the final fsync) fails. */
    static Fill fillUntilFailure(Path dir, long giveUpAfter) {
        byte[] chunk = new byte[(int) MIB];
        Arrays.fill(chunk, (byte) 0x5a);
        long written = 0;
        int file = 0;
        while (written <= giveUpAfter) {
            Path path = dir.resolve("fill-" + file++);
            try (FileOutputStream out = new FileOutputStream(path.toFile())) {
                for (int i = 0; i < 16; i++) {
                    out.write(chunk);
                    written += chunk.length;
                }
                out.getFD().sync();
            } catch (IOException e) {
                return new Fill(written, e);
            }
        }
        throw new AssertionError("wrote " + written + " bytes into " + dir + " without any error");
    }
}
