package dev.ordinal.driver;

import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.assertStatus;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.ListVolumesRequest;
import dev.ordinal.csi.v1.ListVolumesResponse;
import dev.ordinal.csi.v1.NodeGetVolumeStatsRequest;
import dev.ordinal.csi.v1.NodeGetVolumeStatsResponse;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.csi.v1.VolumeCapability;
import dev.ordinal.driver.host.Command;
import dev.ordinal.driver.support.Csi;
import dev.ordinal.driver.support.InProcessDriver;
import dev.ordinal.driver.support.TestRoot;
import io.grpc.Status;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Restart safety without a database: everything a new driver instance knows comes from the disks (volume
 * metadata) and the kernel (mounts, loop devices). A driver is closed and another one started on the same
 * disks, as a crashed or upgraded node plugin would be.
 */
class RecoveryTest {

    private static final VolumeCapability DIR = Csi.mount("");
    private static final VolumeCapability EXT4 = Csi.mount("ext4");

    @Test
    void aRestartedDriverKnowsAndServesItsVolumes() throws IOException {
        try (TestRoot root = TestRoot.create("recovery")) {
            Path disk = root.dir("disks/d1");
            Map<String, Path> disks = Map.of("d1", disk);
            CreateVolumeRequest dirRequest = Csi.create("pvc-dir", 16 * MIB, "dir", DIR);
            CreateVolumeRequest imageRequest = Csi.create("pvc-img", 32 * MIB, "image", EXT4);
            Path dirStaging = root.path().resolve("staging/dir");
            Path dirTarget = root.path().resolve("pods/dir/volume");
            Path imageStaging = root.path().resolve("staging/img");
            Path imageTarget = root.path().resolve("pods/img/volume");

            Volume dirVolume;
            Volume imageVolume;
            try (InProcessDriver before = InProcessDriver.start(root.path(), disks)) {
                dirVolume = before.controller().createVolume(dirRequest).getVolume();
                imageVolume = before.controller().createVolume(imageRequest).getVolume();
                before.node().nodeStageVolume(Csi.stage(dirVolume.getVolumeId(), dirStaging, DIR));
                before.node().nodePublishVolume(Csi.publish(dirVolume.getVolumeId(), dirStaging, dirTarget, DIR,
                        false));
                before.node().nodeStageVolume(Csi.stage(imageVolume.getVolumeId(), imageStaging, EXT4));
                before.node().nodePublishVolume(Csi.publish(imageVolume.getVolumeId(), imageStaging, imageTarget,
                        EXT4, false));
                Files.writeString(dirTarget.resolve("dir.txt"), "in the dir volume");
                Files.writeString(imageTarget.resolve("img.txt"), "in the image volume");
            }

            try (InProcessDriver after = InProcessDriver.start(root.path(), disks)) {
                ListVolumesResponse listed = after.controller().listVolumes(ListVolumesRequest.getDefaultInstance());
                Map<String, Long> byId = listed.getEntriesList().stream().collect(Collectors.toMap(
                        e -> e.getVolume().getVolumeId(), e -> e.getVolume().getCapacityBytes()));
                assertEquals(Map.of(dirVolume.getVolumeId(), 16 * MIB, imageVolume.getVolumeId(), 32 * MIB), byId);

                // A CreateVolume retried across the restart gets the volume it already has.
                assertEquals(dirVolume, after.controller().createVolume(dirRequest).getVolume());
                assertEquals(imageVolume, after.controller().createVolume(imageRequest).getVolume());
                // The same name asked with another size is still a conflict after the restart.
                assertStatus(Status.Code.ALREADY_EXISTS, () -> after.controller().createVolume(
                        Csi.create("pvc-img", 64 * MIB, "image", EXT4)));
                assertEquals(2, after.controller().listVolumes(ListVolumesRequest.getDefaultInstance())
                        .getEntriesCount());

                // The mounts made before the restart are recognised from the kernel: retries succeed, stats are
                // healthy, and the data is where the pod left it.
                after.node().nodeStageVolume(Csi.stage(imageVolume.getVolumeId(), imageStaging, EXT4));
                after.node().nodePublishVolume(Csi.publish(imageVolume.getVolumeId(), imageStaging, imageTarget,
                        EXT4, false));
                after.node().nodeStageVolume(Csi.stage(dirVolume.getVolumeId(), dirStaging, DIR));
                after.node().nodePublishVolume(Csi.publish(dirVolume.getVolumeId(), dirStaging, dirTarget, DIR,
                        false));
                for (String[] v : new String[][] {{dirVolume.getVolumeId(), dirTarget.toString()},
                        {imageVolume.getVolumeId(), imageTarget.toString()}}) {
                    NodeGetVolumeStatsResponse stats = after.node().nodeGetVolumeStats(NodeGetVolumeStatsRequest
                            .newBuilder().setVolumeId(v[0]).setVolumePath(v[1]).build());
                    assertFalse(stats.getVolumeCondition().getAbnormal(), stats.getVolumeCondition().getMessage());
                }
                assertEquals("in the dir volume", Files.readString(dirTarget.resolve("dir.txt")));
                assertEquals("in the image volume", Files.readString(imageTarget.resolve("img.txt")));

                // A delete while still in use is refused by the new instance too.
                assertStatus(Status.Code.FAILED_PRECONDITION, () -> delete(after, imageVolume.getVolumeId()));
                assertStatus(Status.Code.FAILED_PRECONDITION, () -> delete(after, dirVolume.getVolumeId()));

                for (String[] v : new String[][] {
                        {dirVolume.getVolumeId(), dirTarget.toString(), dirStaging.toString()},
                        {imageVolume.getVolumeId(), imageTarget.toString(), imageStaging.toString()}}) {
                    after.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder().setVolumeId(v[0])
                            .setTargetPath(v[1]).build());
                    after.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(v[0])
                            .setStagingTargetPath(v[2]).build());
                    delete(after, v[0]);
                }
                assertEquals(0, after.controller().listVolumes(ListVolumesRequest.getDefaultInstance())
                        .getEntriesCount());
                assertEquals(List.of(), list(disk.resolve("volumes")));
            }
        }
    }

    @Test
    void crashLeftoversAreCleanedAtStartAndRealVolumesKept() throws IOException {
        try (TestRoot root = TestRoot.create("leftovers")) {
            Path disk = root.dir("disks/d1");
            Path volumes = disk.resolve("volumes");
            Map<String, Path> disks = Map.of("d1", disk);

            String keeperId;
            try (InProcessDriver before = InProcessDriver.start(root.path(), disks)) {
                keeperId = before.controller().createVolume(Csi.create("keeper", 16 * MIB, "dir", DIR)).getVolume()
                        .getVolumeId();
            }
            Path keeper = onlyEntry(volumes);
            Files.writeString(keeper.resolve("data/precious.txt"), "keep me");
            byte[] keeperMetadata = Files.readAllBytes(keeper.resolve("volume.properties"));

            // A creation that never finished: data made, metadata never written (so never acknowledged).
            Path unfinishedDir = Files.createDirectories(volumes.resolve("pvc-unfinished_0123456789ab/data"));
            Files.writeString(unfinishedDir.resolve("partial.txt"), "half made");
            Path unfinishedImage = Files.createDirectories(volumes.resolve("pvc-unfinished-image_0123456789ab"));
            try (RandomAccessFile image = new RandomAccessFile(unfinishedImage.resolve("image").toFile(), "rw")) {
                image.setLength(16 * MIB);
            }
            // A deletion that was interrupted after its rename.
            Path deleting = Files.createDirectories(volumes.resolve(".deleting-xyz/data/sub"));
            Files.writeString(deleting.resolve("old.txt"), "being deleted");
            Files.writeString(volumes.resolve(".deleting-xyz/volume.properties"), "volumeId=local:test-node:d1:xyz\n");

            try (InProcessDriver after = InProcessDriver.start(root.path(), disks)) {
                assertEquals(List.of(keeper), list(volumes), "only the real volume is left on the disk");
                assertEquals("keep me", Files.readString(keeper.resolve("data/precious.txt")));
                assertArrayEquals(keeperMetadata, Files.readAllBytes(keeper.resolve("volume.properties")));
                ListVolumesResponse listed = after.controller().listVolumes(ListVolumesRequest.getDefaultInstance());
                assertEquals(List.of(keeperId), listed.getEntriesList().stream()
                        .map(e -> e.getVolume().getVolumeId()).toList());

                delete(after, keeperId);
                assertEquals(List.of(), list(volumes));
            }
        }
    }

    /**
     * A new volume's metadata is written in place and forced only with its directories, just before CreateVolume
     * answers: a power loss before that can leave it empty, cut short or as zeros. Such a creation was never
     * acknowledged; recovery removes it like one with no metadata, and keeps the whole (sealed) volumes and those
     * an older driver wrote without a seal.
     */
    @Test
    void tornMetadataOfAnUnacknowledgedCreationIsRemovedAtStart() throws IOException {
        try (TestRoot root = TestRoot.create("torn")) {
            Path disk = root.dir("disks/d1");
            Path volumes = disk.resolve("volumes");
            Map<String, Path> disks = Map.of("d1", disk);

            String keeperId;
            String olderId;
            try (InProcessDriver before = InProcessDriver.start(root.path(), disks)) {
                keeperId = before.controller().createVolume(Csi.create("keeper", 16 * MIB, "dir", DIR)).getVolume()
                        .getVolumeId();
                olderId = before.controller().createVolume(Csi.create("older", 16 * MIB, "dir", DIR)).getVolume()
                        .getVolumeId();
            }
            Path keeper = volumes.resolve(keeperId.substring(keeperId.lastIndexOf(':') + 1));
            String sealed = Files.readString(keeper.resolve("volume.properties"));
            assertTrue(sealed.startsWith("#ordinal sealed metadata\n"), sealed);
            assertTrue(sealed.matches("(?s).*\nsealed=[0-9a-f]{8}\n"), sealed);
            // The same volume as a driver before the seal wrote it: no header line, no seal.
            Path older = volumes.resolve(olderId.substring(olderId.lastIndexOf(':') + 1));
            String olderText = Files.readString(older.resolve("volume.properties"));
            Files.writeString(older.resolve("volume.properties"), olderText
                    .substring("#ordinal sealed metadata\n".length(), olderText.lastIndexOf("sealed=")));

            Map<String, byte[]> torn = Map.of(
                    "pvc-empty_0123456789ab", new byte[0],
                    "pvc-header-cut_0123456789ab", "#ordinal sea".getBytes(),
                    "pvc-no-seal_0123456789ab", sealed.substring(0, sealed.length() / 2).getBytes(),
                    "pvc-seal-cut_0123456789ab", sealed.substring(0, sealed.length() - 4).getBytes(),
                    "pvc-zeros_0123456789ab", new byte[sealed.length()]);
            for (Map.Entry<String, byte[]> entry : torn.entrySet()) {
                Path dir = Files.createDirectories(volumes.resolve(entry.getKey()).resolve("data"));
                Files.write(dir.resolveSibling("volume.properties"), entry.getValue());
            }

            try (InProcessDriver after = InProcessDriver.start(root.path(), disks)) {
                assertEquals(List.of(keeper, older).stream().sorted().toList(), list(volumes),
                        "the torn creations are gone, the whole volumes kept");
                ListVolumesResponse listed = after.controller().listVolumes(ListVolumesRequest.getDefaultInstance());
                assertEquals(Set.of(keeperId, olderId), listed.getEntriesList().stream()
                        .map(e -> e.getVolume().getVolumeId()).collect(Collectors.toSet()));
                // A CreateVolume retried for a torn creation makes the volume anew.
                Volume retried = after.controller().createVolume(Csi.create("pvc-empty", 16 * MIB, "dir", DIR))
                        .getVolume();
                assertTrue(Files.isDirectory(volumes.resolve(retried.getVolumeId()
                        .substring(retried.getVolumeId().lastIndexOf(':') + 1)).resolve("data")));
            }
        }
    }

    /** A sealed file whose seal does not match is damaged, not torn: the volume is refused, never removed. */
    @Test
    void aSealedMetadataFileThatDoesNotMatchItsSealIsNeverRemoved() throws IOException {
        try (TestRoot root = TestRoot.create("damaged")) {
            Path disk = root.dir("disks/d1");
            Path volumes = disk.resolve("volumes");
            Map<String, Path> disks = Map.of("d1", disk);
            String id;
            try (InProcessDriver before = InProcessDriver.start(root.path(), disks)) {
                id = before.controller().createVolume(Csi.create("rotten", 16 * MIB, "dir", DIR)).getVolume()
                        .getVolumeId();
            }
            Path volume = onlyEntry(volumes);
            Files.writeString(volume.resolve("data/precious.txt"), "keep me");
            Path metadata = volume.resolve("volume.properties");
            Files.writeString(metadata, Files.readString(metadata).replace("capacityBytes=", "capacityBytes=9"));

            RuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                    () -> InProcessDriver.start(root.path(), disks).close());
            assertTrue(String.valueOf(refused.getMessage()).contains("damaged")
                    || String.valueOf(refused.getCause()).contains("damaged"), refused.toString());
            assertEquals("keep me", Files.readString(volume.resolve("data/precious.txt")), id);
        }
    }

    @Test
    void aSparseImageFromAnOlderDriverGetsItsBlocksAtStart() throws IOException {
        try (TestRoot root = TestRoot.create("sparse")) {
            Path disk = root.dir("disks/d1");
            Map<String, Path> disks = Map.of("d1", disk);
            String id;
            try (InProcessDriver before = InProcessDriver.start(root.path(), disks)) {
                id = before.controller().createVolume(Csi.create("old", 16 * MIB, "image", Csi.block())).getVolume()
                        .getVolumeId();
            }
            // What an older driver made: an image of the promised size holding no blocks.
            Path image = onlyEntry(disk.resolve("volumes")).resolve("image");
            Command.check("punch", "fallocate", "--punch-hole", "--offset", "0", "--length",
                    Long.toString(16 * MIB), "--", image.toString());
            assertTrue(allocatedBytes(image) < MIB, "the image is sparse: " + allocatedBytes(image));

            try (InProcessDriver after = InProcessDriver.start(root.path(), disks)) {
                assertTrue(allocatedBytes(image) >= 16 * MIB, "recovery preallocated the image: "
                        + allocatedBytes(image));
                assertEquals(16 * MIB, Files.size(image));
                delete(after, id);
            }
        }
    }

    /** The bytes of the file's allocated blocks (st_blocks), as du would count them. */
    private static long allocatedBytes(Path file) {
        return Long.parseLong(Command.check("stat of " + file, "stat", "--format", "%b", "--", file.toString())
                .strip()) * 512;
    }

    @Test
    void craftedVolumeIdsNeverReachOutsideTheDisk() throws IOException {
        try (TestRoot outside = TestRoot.create("outside"); TestRoot root = TestRoot.create("crafted")) {
            Path outsideSentinel = outside.path().resolve("sentinel.txt");
            Files.writeString(outsideSentinel, "outside every root");
            Path disk = root.dir("disks/d1");
            // Where "..", "../../etc" and friends would land if an id were ever turned into a path unchecked.
            Path diskSentinel = disk.resolve("sentinel.txt");
            Files.writeString(diskSentinel, "disk root");
            Path etcSentinel = root.dir("disks/etc").resolve("sentinel.txt");
            Files.writeString(etcSentinel, "etc");

            try (InProcessDriver driver = InProcessDriver.start(root.path(), Map.of("d1", disk))) {
                String keeperId = driver.controller().createVolume(Csi.create("keeper", 16 * MIB, "dir", DIR))
                        .getVolume().getVolumeId();
                String keeperName = keeperId.substring(keeperId.lastIndexOf(':') + 1);
                Path keeperData = disk.resolve("volumes").resolve(keeperName).resolve("data");
                Files.writeString(keeperData.resolve("precious.txt"), "keep me");

                // From <disk>/volumes, four levels up is /tmp/ordinal-test, where the other TestRoot lives.
                String toOutside = "../../../../" + outside.path().getFileName();
                List<String> crafted = List.of(
                        "local:test-node:d1:..",
                        "local:test-node:d1:.",
                        "local:test-node:d1:../../etc",
                        "local:test-node:d1:a/b",
                        "local:test-node:d1:" + toOutside,
                        "local:test-node:d1:" + keeperName + "/data",
                        "local:test-node:d1:" + keeperName + "/..",
                        "local:test-node:d1:/etc",
                        "local:test-node:d1:..%2f..",
                        "local:test-node:d1:a\0b",
                        "local:test-node:..:volumes",
                        "local:test-node:d1/../..:x",
                        "local:test-node:d1:nothing-here_0123456789ab");
                Path staging = root.path().resolve("staging/crafted");
                Path target = root.path().resolve("pods/crafted/volume");
                for (String id : crafted) {
                    String message = assertStatus(Status.Code.NOT_FOUND,
                            () -> driver.node().nodeStageVolume(Csi.stage(id, staging, DIR)));
                    assertFalse(message.contains(outside.path().toString()), message);
                    assertStatus(Status.Code.NOT_FOUND,
                            () -> driver.node().nodePublishVolume(Csi.publish(id, staging, target, DIR, false)));
                    assertStatus(Status.Code.NOT_FOUND, () -> driver.node().nodeGetVolumeStats(
                            NodeGetVolumeStatsRequest.newBuilder().setVolumeId(id)
                                    .setVolumePath(root.path().resolve("pods").toString()).build()));
                    // An id that names no volume of ours is already deleted.
                    delete(driver, id);
                }

                assertEquals("outside every root", Files.readString(outsideSentinel));
                assertEquals("disk root", Files.readString(diskSentinel));
                assertEquals("etc", Files.readString(etcSentinel));
                assertEquals("keep me", Files.readString(keeperData.resolve("precious.txt")));
                assertEquals(Set.of(keeperId), driver.controller().listVolumes(ListVolumesRequest.getDefaultInstance())
                        .getEntriesList().stream().map(e -> e.getVolume().getVolumeId()).collect(Collectors.toSet()));
                assertFalse(Files.exists(staging), "no crafted id got as far as making the staging path");

                delete(driver, keeperId);
            }
        }
    }

    @Test
    void recoveryNeverFollowsASymlinkOutOfTheDisk() throws IOException {
        try (TestRoot outside = TestRoot.create("outside"); TestRoot root = TestRoot.create("symlinks")) {
            // Two directories outside the disk that look like volume directories: data, and an image file.
            Path elsewhereA = outside.dir("a");
            Path elsewhereB = outside.dir("b");
            for (Path elsewhere : List.of(elsewhereA, elsewhereB)) {
                Files.createDirectories(elsewhere.resolve("data"));
                Files.writeString(elsewhere.resolve("data/precious.txt"), "not the driver's");
                Files.writeString(elsewhere.resolve("image"), "not an image of ours");
            }
            Path disk = root.dir("disks/d1");
            Path volumes = disk.resolve("volumes");
            Files.createDirectories(volumes);
            // The driver never makes symbolic links; one in the volumes directory is someone else's doing and must
            // not lead the crash recovery to delete what it points at.
            Files.createSymbolicLink(volumes.resolve(".deleting-linked"), elsewhereA);
            Files.createSymbolicLink(volumes.resolve("pvc-linked_0123456789ab"), elsewhereB);

            try (InProcessDriver driver = InProcessDriver.start(root.path(), Map.of("d1", disk))) {
                for (Path elsewhere : List.of(elsewhereA, elsewhereB)) {
                    assertEquals("not the driver's", Files.readString(elsewhere.resolve("data/precious.txt")));
                    assertEquals("not an image of ours", Files.readString(elsewhere.resolve("image")));
                }
                assertEquals(0, driver.controller().listVolumes(ListVolumesRequest.getDefaultInstance())
                        .getEntriesCount());
            }
        }
    }

    // ---- helpers ----

    private static void delete(InProcessDriver driver, String id) {
        driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
    }

    private static List<Path> list(Path dir) throws IOException {
        try (var entries = Files.list(dir)) {
            return entries.sorted().toList();
        }
    }

    private static Path onlyEntry(Path dir) throws IOException {
        List<Path> entries = list(dir);
        assertEquals(1, entries.size(), "entries of " + dir + ": " + entries);
        return entries.get(0);
    }
}
