package dev.ordinal.driver.metrics;

import static dev.ordinal.driver.support.Csi.MIB;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.VolumeCapability;
import dev.ordinal.driver.host.Command;
import dev.ordinal.driver.host.LoopDevices;
import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.support.Csi;
import dev.ordinal.driver.support.TestRoot;
import io.grpc.Status;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What an operator reads from the driver's own metrics, produced by real volumes on a real disk: disk capacity
 * and allocation, volumes per layout, per-volume usage as the background sampler measures it, what start-up
 * recovery removed, the orphans on a disk now, and mount and mkfs failures as they really happen.
 */
class DriverMetricsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final VolumeCapability DIR = Csi.mount("");
    private static final VolumeCapability EXT4 = Csi.mount("ext4");
    private static final Map<String, String> DISK = Map.of("node", MeteredDriver.NODE, "disk", "d1");

    @Test
    void leftoversRecoveryRemovedAreCountedAndAreNoOrphansAnyMore() throws IOException {
        try (TestRoot root = TestRoot.create("metrics-orphans")) {
            Path disk = root.dir("disks/d1");
            // What a crash leaves: a creation without metadata, a deletion begun but not finished.
            Path unfinished = root.dir("disks/d1/volumes/shop_data-db-0_0123456789ab/data");
            Path interrupted = root.dir("disks/d1/volumes/.deleting-shop_data-db-1_0123456789ab/data");
            try (MeteredDriver driver = MeteredDriver.start(root.path(), disk, Capacity.ofGiB(1))) {
                Exposition scrape = driver.scrape();
                assertEquals(1, scrape.value("ordinal_recovery_removed_total",
                        with(DISK, "kind", "unfinished_creation")));
                assertEquals(1, scrape.value("ordinal_recovery_removed_total",
                        with(DISK, "kind", "interrupted_deletion")));
                assertFalse(Files.exists(unfinished.getParent()));
                assertFalse(Files.exists(interrupted.getParent()));
                // Removed, so not orphans: nothing for an alert to stay on.
                assertEquals(0, scrape.value("ordinal_orphans", with(DISK, "kind", "foreign_link")));
                assertEquals(0, scrape.value("ordinal_orphans", with(DISK, "kind", "unreferenced")));
            }
        }
    }

    /** A link recovery leaves for an operator is an orphan while it is there, and none once it is removed. */
    @Test
    void aForeignLinkCountsUntilAnOperatorRemovesIt() throws IOException {
        try (TestRoot root = TestRoot.create("metrics-links")) {
            Path disk = root.dir("disks/d1");
            Path target = root.dir("elsewhere/precious");
            Path link = Files.createSymbolicLink(root.dir("disks/d1/volumes").resolve("shop_data-db-2_0123456789ab"),
                    target);
            try (MeteredDriver driver = MeteredDriver.start(root.path(), disk, Capacity.ofGiB(1))) {
                assertEquals(1, driver.scrape().value("ordinal_orphans", with(DISK, "kind", "foreign_link")));
                assertTrue(Files.isDirectory(target), "recovery followed the link");
                Files.delete(link);
                assertEquals(0, driver.scrape().value("ordinal_orphans", with(DISK, "kind", "foreign_link")));
            }
        }
    }

    @Test
    void diskAndVolumeGaugesFollowCreateAndDelete() throws IOException {
        try (TestRoot root = TestRoot.create("metrics-disk");
                MeteredDriver driver = MeteredDriver.start(root.path(), root.dir("disks/d1"), Capacity.ofGiB(1))) {
            Exposition empty = driver.scrape();
            assertEquals(1024 * MIB, empty.value("ordinal_disk_capacity_bytes", DISK));
            assertEquals(0, empty.value("ordinal_disk_allocated_bytes", DISK));
            assertEquals(0, empty.value("ordinal_volumes", with(DISK, "layout", "dir")));

            String a = driver.controller().createVolume(Csi.create("pv-a", 64 * MIB, "dir", DIR)).getVolume()
                    .getVolumeId();
            String b = driver.controller().createVolume(Csi.create("pv-b", 64 * MIB, "dir", DIR)).getVolume()
                    .getVolumeId();
            String c = driver.controller().createVolume(Csi.create("pv-c", 32 * MIB, "image", EXT4)).getVolume()
                    .getVolumeId();
            await().atMost(WAIT).untilAsserted(() -> {
                Exposition scrape = driver.scrape();
                assertEquals(160 * MIB, scrape.value("ordinal_disk_allocated_bytes", DISK));
                assertEquals(864 * MIB, scrape.value("ordinal_disk_available_bytes", DISK));
                assertEquals(2, scrape.value("ordinal_volumes", with(DISK, "layout", "dir")));
                assertEquals(1, scrape.value("ordinal_volumes", with(DISK, "layout", "image")));
            });

            // A snapshot counts on its disk, by its source's layout, and takes its size there.
            String snapshot = driver.controller().createSnapshot(dev.ordinal.csi.v1.CreateSnapshotRequest.newBuilder()
                    .setName("snap-b").setSourceVolumeId(b).build()).getSnapshot().getSnapshotId();
            await().atMost(WAIT).untilAsserted(() -> {
                Exposition scrape = driver.scrape();
                assertEquals(1, scrape.value("ordinal_snapshots", with(DISK, "layout", "dir")));
                assertEquals(224 * MIB, scrape.value("ordinal_disk_allocated_bytes", DISK));
            });
            driver.controller().deleteSnapshot(dev.ordinal.csi.v1.DeleteSnapshotRequest.newBuilder()
                    .setSnapshotId(snapshot).build());

            driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(a).build());
            driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(c).build());
            await().atMost(WAIT).untilAsserted(() -> {
                Exposition scrape = driver.scrape();
                assertEquals(64 * MIB, scrape.value("ordinal_disk_allocated_bytes", DISK));
                assertEquals(1, scrape.value("ordinal_volumes", with(DISK, "layout", "dir")));
                assertEquals(0, scrape.value("ordinal_volumes", with(DISK, "layout", "image")));
                assertEquals(0, scrape.value("ordinal_snapshots", with(DISK, "layout", "dir")));
            });
            deleteAll(driver, b);
        }
    }

    @Test
    void usedBytesAreSampledForDirAndMountedImageVolumes() throws IOException {
        try (TestRoot root = TestRoot.create("metrics-usage");
                MeteredDriver driver = MeteredDriver.start(root.path(), root.dir("disks/d1"), Capacity.ofGiB(1))) {
            String dir = driver.controller().createVolume(claimed("pv-dir", 64 * MIB, "dir", DIR, "data-db-0"))
                    .getVolume().getVolumeId();
            String image = driver.controller().createVolume(claimed("pv-img", 32 * MIB, "image", EXT4, "data-db-1"))
                    .getVolume().getVolumeId();
            Path dirTarget = stageAndPublish(driver, root, dir, DIR);
            Path imageTarget = stageAndPublish(driver, root, image, EXT4);
            write(dirTarget.resolve("blob"), 3 * MIB);
            write(imageTarget.resolve("blob"), 5 * MIB);

            Map<String, String> dirVolume = Map.of("namespace", "shop", "persistentvolumeclaim", "data-db-0",
                    "persistentvolume", "pv-dir", "layout", "dir");
            Map<String, String> imageVolume = Map.of("namespace", "shop", "persistentvolumeclaim", "data-db-1",
                    "persistentvolume", "pv-img", "layout", "image");
            await().atMost(WAIT).untilAsserted(() -> {
                Exposition scrape = driver.scrape();
                // A dir volume is the sum of its files; an image is what its filesystem reports as used, which
                // includes the filesystem's own metadata but never exceeds the image.
                assertEquals(3 * MIB, scrape.value("ordinal_volume_used_bytes", dirVolume));
                double imageUsed = scrape.value("ordinal_volume_used_bytes", imageVolume);
                assertTrue(imageUsed >= 5 * MIB && imageUsed < 32 * MIB, () -> "image used bytes " + imageUsed);
                assertEquals(64 * MIB, scrape.value("ordinal_volume_capacity_bytes", dirVolume));
                assertEquals(32 * MIB, scrape.value("ordinal_volume_capacity_bytes", imageVolume));
            });

            unpublishAndUnstage(driver, root, dir);
            unpublishAndUnstage(driver, root, image);
            deleteAll(driver, dir, image);
            await().atMost(WAIT).untilAsserted(() -> {
                Exposition scrape = driver.scrape();
                assertEquals(0, scrape.find("ordinal_volume_used_bytes", Map.of()).size(), scrape::text);
                assertEquals(0, scrape.find("ordinal_volume_capacity_bytes", Map.of()).size(), scrape::text);
            });
        }
    }

    @Test
    void usedBytesOfASubvolumeComeFromItsQgroup() throws IOException {
        try (TestRoot root = TestRoot.create("metrics-btrfs")) {
            // A btrfs disk of the test's own: a sparse file, formatted and loop-mounted under the root.
            Path image = root.path().resolve("btrfs.img");
            try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
                file.setLength(512 * MIB);
            }
            String loop = Command.check("attach", "losetup", "--find", "--show", "--", image.toString()).strip();
            Path disk = root.dir("btrfs");
            try {
                Command.check("mkfs.btrfs", "mkfs.btrfs", "-q", "--", loop);
                Command.check("mount btrfs", "mount", "-t", "btrfs", "--", loop, disk.toString());
                try (MeteredDriver driver = MeteredDriver.start(root.path(), disk, Capacity.ofMiB(256))) {
                    String id = driver.controller().createVolume(claimed("pv-sub", 64 * MIB, "subvolume", DIR,
                            "data-db-2")).getVolume().getVolumeId();
                    write(stageAndPublish(driver, root, id, DIR).resolve("blob"), 4 * MIB);
                    Map<String, String> volume = Map.of("persistentvolumeclaim", "data-db-2", "layout", "subvolume");
                    await().atMost(WAIT).untilAsserted(() -> {
                        // Referenced bytes: the data plus a few metadata blocks, far below the 64 MiB limit.
                        double used = driver.scrape().value("ordinal_volume_used_bytes", volume);
                        assertTrue(used >= 4 * MIB && used < 8 * MIB, () -> "subvolume used bytes " + used);
                    });
                    unpublishAndUnstage(driver, root, id);
                    deleteAll(driver, id);
                }
            } finally {
                // The disk's own mount and loop device are the test's: undone before the root checks for leftovers.
                if (MountTable.read().isMountPoint(disk)) {
                    Command.check("unmount btrfs", "umount", "--", disk.toString());
                }
                Command.run("losetup", "--detach", loop);
                await().atMost(WAIT).until(() -> LoopDevices.backing(image).isEmpty());
            }
        }
    }

    @Test
    void mountAndFormatFailuresAreCounted() throws IOException {
        try (TestRoot root = TestRoot.create("metrics-failures");
                MeteredDriver driver = MeteredDriver.start(root.path(), root.dir("disks/d1"), Capacity.ofGiB(1))) {
            Map<String, String> mount = Map.of("node", MeteredDriver.NODE, "operation", "mount");
            Map<String, String> ext4 = Map.of("node", MeteredDriver.NODE, "fstype", "ext4");
            assertEquals(0, driver.scrape().value("ordinal_mount_failures_total", mount));
            assertEquals(0, driver.scrape().value("ordinal_format_failures_total", ext4));

            // mount(8) refuses an option ext4 does not know.
            String badOption = driver.controller().createVolume(Csi.create("pv-opt", 32 * MIB, "image", EXT4))
                    .getVolume().getVolumeId();
            VolumeCapability withOption = EXT4.toBuilder().setMount(EXT4.getMount().toBuilder()
                    .addMountFlags("ordinal-no-such-option")).build();
            Path staging = root.path().resolve("staging/pv-opt");
            Csi.assertStatus(Status.Code.INTERNAL, () -> driver.node().nodeStageVolume(
                    Csi.stage(badOption, staging, withOption)));
            assertEquals(1, driver.scrape().value("ordinal_mount_failures_total", mount));
            driver.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(badOption)
                    .setStagingTargetPath(staging.toString()).build());

            // An image cut down to 4 KiB (a damaged disk) has no room for a filesystem: mkfs.ext4 fails.
            String damaged = driver.controller().createVolume(Csi.create("pv-cut", 32 * MIB, "image", EXT4))
                    .getVolume().getVolumeId();
            Path image = root.path().resolve("disks/d1/volumes/" + damaged.substring(damaged.lastIndexOf(':') + 1)
                    + "/image");
            try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
                file.setLength(4096);
            }
            Path cutStaging = root.path().resolve("staging/pv-cut");
            Csi.assertStatus(Status.Code.INTERNAL, () -> driver.node().nodeStageVolume(
                    Csi.stage(damaged, cutStaging, EXT4)));
            assertEquals(1, driver.scrape().value("ordinal_format_failures_total", ext4));
            assertEquals(1, driver.scrape().value("ordinal_mount_failures_total", mount));
            driver.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(damaged)
                    .setStagingTargetPath(cutStaging.toString()).build());
            deleteAll(driver, badOption, damaged);
        }
    }

    private static CreateVolumeRequest claimed(String name, long bytes, String layout, VolumeCapability capability,
            String claim) {
        return Csi.create(name, bytes, layout, capability).toBuilder()
                .putParameters("csi.storage.k8s.io/pvc/namespace", "shop")
                .putParameters("csi.storage.k8s.io/pvc/name", claim)
                .putParameters("csi.storage.k8s.io/pv/name", name)
                .build();
    }

    private static Path stageAndPublish(MeteredDriver driver, TestRoot root, String id, VolumeCapability capability) {
        Path staging = root.path().resolve("staging/" + id.hashCode());
        Path target = root.path().resolve("pods/" + id.hashCode() + "/volume");
        driver.node().nodeStageVolume(Csi.stage(id, staging, capability));
        driver.node().nodePublishVolume(Csi.publish(id, staging, target, capability, false));
        return target;
    }

    private static void unpublishAndUnstage(MeteredDriver driver, TestRoot root, String id) {
        driver.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder().setVolumeId(id)
                .setTargetPath(root.path().resolve("pods/" + id.hashCode() + "/volume").toString()).build());
        driver.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(id)
                .setStagingTargetPath(root.path().resolve("staging/" + id.hashCode()).toString()).build());
    }

    private static void deleteAll(MeteredDriver driver, String... ids) {
        for (String id : ids) {
            driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
        }
    }

    private static void write(Path file, long bytes) throws IOException {
        try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] block = new byte[(int) MIB];
            for (long written = 0; written < bytes; written += block.length) {
                out.write(block);
            }
            out.getFD().sync();
        }
    }

    private static Map<String, String> with(Map<String, String> base, String key, String value) {
        Map<String, String> out = new java.util.HashMap<>(base);
        out.put(key, value);
        return out;
    }
}
