package dev.ordinal.driver;

import static dev.ordinal.driver.support.Csi.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.GetCapacityRequest;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.VolumeCapability;
import dev.ordinal.driver.support.Csi;
import dev.ordinal.driver.support.InProcessDriver;
import dev.ordinal.driver.support.LoopDisk;
import dev.ordinal.driver.support.TestRoot;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Space is never promised that the disk does not have (issue 24, item 5). On a small real xfs disk, image volumes
 * are created until CreateVolume says RESOURCE_EXHAUSTED; then every volume is written to its full promised size,
 * and every write succeeds. GetCapacity never offers more than the filesystem's free space (df's Avail), for
 * image volumes and for dir volumes, which have no limit of their own.
 */
class PromisedSpaceTest {

    private TestRoot root;
    private LoopDisk small;
    private InProcessDriver driver;

    @AfterEach
    void stop() {
        try {
            if (driver != null) {
                driver.close();
            }
            if (small != null) {
                small.close();
            }
        } finally {
            root.close();
        }
    }

    @Test
    void aFullDiskRefusesCreationAndEveryPromisedByteCanBeWritten() throws IOException {
        root = TestRoot.create("promised");
        small = LoopDisk.make(root, "small", 320 * MIB, "mkfs.xfs", "-q", "-f");
        driver = InProcessDriver.start(root.path(), Map.of("small", small.mountPoint()));
        Path disk = small.mountPoint();
        assertTrue(capacity("image") <= free(disk), "GetCapacity " + capacity("image") + " > df's " + free(disk));

        // One filesystem volume, then block volumes until the disk is full.
        List<String> ids = new ArrayList<>();
        ids.add(driver.controller().createVolume(Csi.create("fs", 32 * MIB, "image", Csi.mount("ext4")))
                .getVolume().getVolumeId());
        String refusal = null;
        for (int i = 0; refusal == null; i++) {
            try {
                ids.add(driver.controller().createVolume(Csi.create("raw-" + i, 8 * MIB, "image", Csi.block()))
                        .getVolume().getVolumeId());
            } catch (StatusRuntimeException e) {
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
                refusal = e.getStatus().getDescription();
            }
            long offered = capacity("image");
            assertTrue(offered <= free(disk), "after " + ids.size() + " volumes GetCapacity offers " + offered
                    + " bytes, df says " + free(disk) + " are free");
        }
        assertTrue(refusal.contains("MiB"), "the refusal says how much there is: " + refusal);
        assertTrue(ids.size() > 20, "a 320 MiB disk took only " + ids.size() + " volumes");
        assertEquals(ids.size(), entries(disk.resolve("volumes")).size(), "the refused volume left nothing behind");

        // Every volume, written to its whole promised size: no write fails.
        String fs = ids.get(0);
        Path staging = root.path().resolve("staging/fs");
        Path target = root.path().resolve("pods/fs/volume");
        driver.node().nodeStageVolume(Csi.stage(fs, staging, Csi.mount("ext4")));
        driver.node().nodePublishVolume(Csi.publish(fs, staging, target, Csi.mount("ext4"), false));
        ImageVolumeTest.Fill fill = ImageVolumeTest.fillUntilFailure(target, 64 * MIB);
        assertTrue(fill.failure().getMessage().contains("No space left on device"), "the volume's own filesystem "
                + "filled up, nothing else failed: " + fill.failure());
        assertTrue(fill.written() >= 24 * MIB, "only " + fill.written() + " bytes fit in a 32 MiB ext4 volume");
        unpublishAndUnstage(fs, staging, target);
        for (String id : ids.subList(1, ids.size())) {
            Path rawStaging = root.path().resolve("staging/" + suffix(id));
            Path device = root.path().resolve("pods/" + suffix(id) + "/dev");
            driver.node().nodeStageVolume(Csi.stage(id, rawStaging, Csi.block()));
            driver.node().nodePublishVolume(Csi.publish(id, rawStaging, device, Csi.block(), false));
            fillDevice(device, 8 * MIB);
            unpublishAndUnstage(id, rawStaging, device);
        }

        for (String id : ids) {
            driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
        }
        assertEquals(List.of(), entries(disk.resolve("volumes")));
    }

    @Test
    void getCapacityOffersNoMoreThanTheFilesystemHasFree() throws IOException {
        root = TestRoot.create("capacity");
        // ext4 keeps 5% of its blocks for root: df's Avail is well below the filesystem's size even when empty.
        small = LoopDisk.make(root, "ext4", 256 * MIB, "mkfs.ext4", "-q");
        Path disk = small.mountPoint();
        driver = InProcessDriver.start(root.path(), Map.of("d1", disk));
        // The whole filesystem's size was offered here before, whatever was free on it.
        assertTrue(capacity("dir") <= free(disk), "GetCapacity (dir) " + capacity("dir") + " > df " + free(disk));
        assertTrue(capacity("image") <= free(disk), "GetCapacity (image) " + capacity("image") + " > df "
                + free(disk));

        String dir = driver.controller().createVolume(Csi.create("dir", 64 * MIB, "dir", Csi.mount("")))
                .getVolume().getVolumeId();
        String image = driver.controller().createVolume(Csi.create("image", 64 * MIB, "image", Csi.block()))
                .getVolume().getVolumeId();
        // The dir volume may still take its 64 MiB from the free space; the image volume holds its blocks already.
        long offered = capacity("dir");
        assertTrue(offered <= free(disk) - 64 * MIB, "GetCapacity " + offered + " does not set aside the dir "
                + "volume's 64 MiB from df's " + free(disk));
        assertTrue(Files.size(disk.resolve("volumes").resolve(suffix(image)).resolve("image")) == 64 * MIB);
        for (String id : List.of(dir, image)) {
            driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
        }
    }

    private long capacity(String layout) {
        return driver.controller().getCapacity(GetCapacityRequest.newBuilder().putParameters("layout", layout)
                .build()).getAvailableCapacity();
    }

    private static long free(Path path) throws IOException {
        return Files.getFileStore(path).getUsableSpace();
    }

    private void unpublishAndUnstage(String id, Path staging, Path target) {
        driver.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder().setVolumeId(id)
                .setTargetPath(target.toString()).build());
        driver.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(id)
                .setStagingTargetPath(staging.toString()).build());
    }

    /** Writes {@code bytes} into the device in 1 MiB chunks and syncs: any failure fails the test. */
    private static void fillDevice(Path device, long bytes) throws IOException {
        byte[] chunk = new byte[(int) MIB];
        Arrays.fill(chunk, (byte) 0x6b);
        try (RandomAccessFile out = new RandomAccessFile(device.toFile(), "rw")) {
            for (long written = 0; written < bytes; written += chunk.length) {
                out.write(chunk);
            }
            out.getFD().sync();
        }
    }

    private static String suffix(String id) {
        return id.substring(id.lastIndexOf(':') + 1);
    }

    private static List<Path> entries(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.toList();
        }
    }
}
