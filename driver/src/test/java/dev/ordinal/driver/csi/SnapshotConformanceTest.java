package dev.ordinal.driver.csi;

import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.assertStatus;
import static dev.ordinal.driver.support.Csi.create;
import static dev.ordinal.driver.support.Csi.mount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.csi.v1.CapacityRange;
import dev.ordinal.csi.v1.ControllerExpandVolumeRequest;
import dev.ordinal.csi.v1.CreateSnapshotRequest;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.DeleteSnapshotRequest;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.ListSnapshotsRequest;
import dev.ordinal.csi.v1.ListSnapshotsResponse;
import dev.ordinal.csi.v1.ListVolumesRequest;
import dev.ordinal.csi.v1.Snapshot;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.csi.v1.VolumeContentSource;
import dev.ordinal.driver.support.InProcessDriver;
import dev.ordinal.driver.support.TestRoot;
import dev.ordinal.driver.volume.VolumeLocks;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The spec's rules for snapshots, restores, clones and expansion, each test named by the rule it checks, on
 * {@code dir} volumes (the layouts' data paths have their own tests: SnapshotDataTest, ExpansionTest).
 */
class SnapshotConformanceTest {

    private TestRoot root;
    private Path disk;
    private InProcessDriver driver;

    @BeforeEach
    void start() {
        root = TestRoot.create("snapshots");
        disk = root.dir("disks/d1");
        driver = InProcessDriver.start(root.path(), Map.of("d1", disk), Map.of("d1", Capacity.ofMiB(100)));
    }

    @AfterEach
    void stop() {
        cleanUp(driver);
        driver.close();
        root.close();
    }

    @Test
    void sameSnapshotNameAndSourceGiveTheSameSnapshot() {
        Volume volume = createDir("pvc-a", 10 * MIB);
        Snapshot first = snapshot("snap-1", volume);
        Snapshot again = snapshot("snap-1", volume);
        assertEquals(first, again);
        assertEquals(10 * MIB, first.getSizeBytes());
        assertTrue(first.getReadyToUse());
        assertTrue(first.getCreationTime().getSeconds() > 0);
    }

    @Test
    void sameSnapshotNameWithAnotherSourceIsAlreadyExists() {
        snapshot("snap-1", createDir("pvc-a", 10 * MIB));
        Volume other = createDir("pvc-b", 10 * MIB);
        assertStatus(Status.Code.ALREADY_EXISTS, () -> snapshot("snap-1", other));
    }

    @Test
    void snapshotOfAnUnknownVolumeIsNotFound() {
        assertStatus(Status.Code.NOT_FOUND, () -> driver.controller().createSnapshot(CreateSnapshotRequest
                .newBuilder().setName("s").setSourceVolumeId("local:test-node:d1:gone").build()));
    }

    @Test
    void snapshotRequestsNeedANameAndASource() {
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> driver.controller().createSnapshot(CreateSnapshotRequest
                .newBuilder().setSourceVolumeId("local:test-node:d1:x").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> driver.controller().createSnapshot(CreateSnapshotRequest
                .newBuilder().setName("s").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> driver.controller().deleteSnapshot(
                DeleteSnapshotRequest.getDefaultInstance()));
    }

    @Test
    void deletingAnUnknownOrDeletedSnapshotIsOk() {
        Snapshot snapshot = snapshot("snap-1", createDir("pvc-a", 10 * MIB));
        DeleteSnapshotRequest delete = DeleteSnapshotRequest.newBuilder().setSnapshotId(snapshot.getSnapshotId())
                .build();
        driver.controller().deleteSnapshot(delete);
        driver.controller().deleteSnapshot(delete);
        driver.controller().deleteSnapshot(DeleteSnapshotRequest.newBuilder().setSnapshotId("not-ours").build());
        assertEquals(0, driver.controller().listSnapshots(ListSnapshotsRequest.getDefaultInstance())
                .getEntriesCount());
    }

    @Test
    void snapshotsTakeSpaceOnTheirSourcesDiskUntilDeleted() {
        Volume volume = createDir("pvc-a", 40 * MIB);
        Snapshot snapshot = snapshot("snap-1", volume);
        // 100 MiB disk: 40 for the volume, 40 for its snapshot; 30 more does not fit.
        assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> createDir("pvc-b", 30 * MIB));
        driver.controller().deleteSnapshot(DeleteSnapshotRequest.newBuilder().setSnapshotId(snapshot.getSnapshotId())
                .build());
        createDir("pvc-b", 30 * MIB);
    }

    @Test
    void restoreHoldsTheSnapshotsDataAndCloneTheCurrentData() throws Exception {
        Volume volume = createDir("pvc-a", 10 * MIB);
        Path data = dataOf(volume);
        Files.writeString(data.resolve("state"), "before");
        Snapshot snapshot = snapshot("snap-1", volume);
        Files.writeString(data.resolve("state"), "after");

        Volume restored = createFrom("restored", 10 * MIB, VolumeContentSource.newBuilder().setSnapshot(
                VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId(snapshot.getSnapshotId())).build());
        Volume cloned = createFrom("cloned", 10 * MIB, VolumeContentSource.newBuilder().setVolume(
                VolumeContentSource.VolumeSource.newBuilder().setVolumeId(volume.getVolumeId())).build());
        assertEquals("before", Files.readString(dataOf(restored).resolve("state")));
        assertEquals("after", Files.readString(dataOf(cloned).resolve("state")));
        assertEquals(snapshot.getSnapshotId(), restored.getContentSource().getSnapshot().getSnapshotId());
        assertEquals(volume.getVolumeId(), cloned.getContentSource().getVolume().getVolumeId());
    }

    @Test
    void aSnapshotOutlivesItsSourceVolume() throws Exception {
        Volume volume = createDir("pvc-a", 10 * MIB);
        Files.writeString(dataOf(volume).resolve("kept"), "kept");
        Snapshot snapshot = snapshot("snap-1", volume);
        driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId()).build());
        Volume restored = createFrom("restored", 10 * MIB, fromSnapshot(snapshot));
        assertEquals("kept", Files.readString(dataOf(restored).resolve("kept")));
    }

    @Test
    void restoringSmallerThanTheSnapshotIsOutOfRange() {
        Snapshot snapshot = snapshot("snap-1", createDir("pvc-a", 20 * MIB));
        assertStatus(Status.Code.OUT_OF_RANGE, () -> driver.controller().createVolume(create("small", 10 * MIB, "dir",
                mount("")).toBuilder().setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(10 * MIB)
                .setLimitBytes(10 * MIB)).setVolumeContentSource(fromSnapshot(snapshot)).build()));
    }

    @Test
    void restoreWithoutASizeGetsTheSnapshotsSizeAndCanBeLarger() {
        Snapshot snapshot = snapshot("snap-1", createDir("pvc-a", 10 * MIB));
        Volume noSize = driver.controller().createVolume(CreateVolumeRequest.newBuilder().setName("no-size")
                .addVolumeCapabilities(mount("")).putParameters("layout", "dir")
                .setVolumeContentSource(fromSnapshot(snapshot)).build()).getVolume();
        assertEquals(64 * MIB, noSize.getCapacityBytes(), "the default size, being larger than the snapshot");
        driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(noSize.getVolumeId()).build());
        assertEquals(25 * MIB, createFrom("larger", 25 * MIB, fromSnapshot(snapshot)).getCapacityBytes());
    }

    @Test
    void aRestoreThatDoesNotFitOnTheSnapshotsDiskSaysWhere() {
        Snapshot snapshot = snapshot("snap-1", createDir("pvc-a", 40 * MIB));
        String message = assertStatus(Status.Code.RESOURCE_EXHAUSTED,
                () -> createFrom("r", 40 * MIB, fromSnapshot(snapshot)));
        assertTrue(message.contains("disk of its source") && message.contains("20 MiB free"), message);
    }

    @Test
    void restoringAnUnknownSnapshotIsNotFound() {
        assertStatus(Status.Code.NOT_FOUND, () -> createFrom("r", 10 * MIB, VolumeContentSource.newBuilder()
                .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId("snap:test-node:d1:gone"))
                .build()));
        assertStatus(Status.Code.NOT_FOUND, () -> createFrom("c", 10 * MIB, VolumeContentSource.newBuilder()
                .setVolume(VolumeContentSource.VolumeSource.newBuilder().setVolumeId("local:test-node:d1:gone"))
                .build()));
    }

    @Test
    void restoringIntoAnotherLayoutIsInvalid() {
        Snapshot snapshot = snapshot("snap-1", createDir("pvc-a", 10 * MIB));
        String message = assertStatus(Status.Code.INVALID_ARGUMENT, () -> driver.controller().createVolume(
                create("img", 10 * MIB, "image", mount("ext4")).toBuilder().setVolumeContentSource(
                        fromSnapshot(snapshot)).build()));
        assertTrue(message.contains("layout dir"), message);
    }

    @Test
    void sameVolumeNameFromAnotherSourceIsAlreadyExists() {
        Volume volume = createDir("pvc-a", 10 * MIB);
        Snapshot snapshot = snapshot("snap-1", volume);
        Volume restored = createFrom("r", 10 * MIB, fromSnapshot(snapshot));
        assertEquals(restored, createFrom("r", 10 * MIB, fromSnapshot(snapshot)));
        assertStatus(Status.Code.ALREADY_EXISTS, () -> createDir("r", 10 * MIB));
    }

    @Test
    void aSnapshotOfAVolumeInUseByAnotherOperationIsAborted() {
        Volume volume = createDir("pvc-a", 10 * MIB);
        try (VolumeLocks.Held busy = driver.locks().acquire(volume.getVolumeId(), "DeleteVolume")) {
            assertStatus(Status.Code.ABORTED, () -> snapshot("snap-1", volume));
        }
        snapshot("snap-1", volume);
    }

    @Test
    void listSnapshotsByIdBySourceAndInPages() {
        Volume a = createDir("pvc-a", MIB);
        Volume b = createDir("pvc-b", MIB);
        List<Snapshot> ofA = List.of(snapshot("a1", a), snapshot("a2", a), snapshot("a3", a));
        Snapshot ofB = snapshot("b1", b);

        ListSnapshotsResponse byId = driver.controller().listSnapshots(ListSnapshotsRequest.newBuilder()
                .setSnapshotId(ofB.getSnapshotId()).build());
        assertEquals(List.of(ofB), byId.getEntriesList().stream().map(ListSnapshotsResponse.Entry::getSnapshot)
                .toList());
        assertEquals(0, driver.controller().listSnapshots(ListSnapshotsRequest.newBuilder()
                .setSnapshotId("snap:test-node:d1:unknown").build()).getEntriesCount());

        List<Snapshot> paged = new ArrayList<>();
        String token = "";
        do {
            ListSnapshotsResponse page = driver.controller().listSnapshots(ListSnapshotsRequest.newBuilder()
                    .setSourceVolumeId(a.getVolumeId()).setMaxEntries(1).setStartingToken(token).build());
            assertTrue(page.getEntriesCount() <= 1);
            page.getEntriesList().forEach(e -> paged.add(e.getSnapshot()));
            token = page.getNextToken();
        } while (!token.isEmpty());
        assertEquals(ofA.stream().map(Snapshot::getSnapshotId).sorted().toList(),
                paged.stream().map(Snapshot::getSnapshotId).toList());

        assertEquals(4, driver.controller().listSnapshots(ListSnapshotsRequest.getDefaultInstance())
                .getEntriesCount());
        assertStatus(Status.Code.ABORTED, () -> driver.controller().listSnapshots(ListSnapshotsRequest.newBuilder()
                .setStartingToken("%%%").build()));
    }

    @Test
    void snapshotsSurviveARestart() {
        Snapshot snapshot = snapshot("snap-1", createDir("pvc-a", 10 * MIB));
        driver.close();
        driver = InProcessDriver.start(root.path(), Map.of("d1", disk), Map.of("d1", Capacity.ofMiB(100)));
        assertEquals(List.of(snapshot), driver.controller().listSnapshots(ListSnapshotsRequest.getDefaultInstance())
                .getEntriesList().stream().map(ListSnapshotsResponse.Entry::getSnapshot).toList());
        // Its space is still taken after the restart: 10 + 10 MiB of 100, so 85 MiB does not fit.
        assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> createDir("big", 85 * MIB));
    }

    @Test
    void shrinkingIsOutOfRangeAndGrowingIsIdempotent() {
        Volume volume = createDir("pvc-a", 20 * MIB);
        assertStatus(Status.Code.OUT_OF_RANGE, () -> expand(volume, 10 * MIB));
        assertEquals(30 * MIB, expand(volume, 30 * MIB));
        assertEquals(30 * MIB, expand(volume, 30 * MIB));
        assertEquals(30 * MIB, driver.controller().listVolumes(ListVolumesRequest.getDefaultInstance())
                .getEntries(0).getVolume().getCapacityBytes());
    }

    @Test
    void growingBeyondTheFreeSpaceIsResourceExhausted() {
        Volume volume = createDir("pvc-a", 20 * MIB);
        createDir("pvc-b", 50 * MIB);
        String message = assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> expand(volume, 60 * MIB));
        assertTrue(message.contains("60 MiB"), message);
        assertEquals(50 * MIB, expand(volume, 50 * MIB));
    }

    @Test
    void expandingNeedsAnExistingVolumeAndARange() {
        assertStatus(Status.Code.NOT_FOUND, () -> driver.controller().controllerExpandVolume(
                ControllerExpandVolumeRequest.newBuilder().setVolumeId("local:test-node:d1:gone")
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(MIB)).build()));
        Volume volume = createDir("pvc-a", 20 * MIB);
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> driver.controller().controllerExpandVolume(
                ControllerExpandVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId()).build()));
    }

    private long expand(Volume volume, long bytes) {
        return driver.controller().controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                .setVolumeId(volume.getVolumeId()).setCapacityRange(CapacityRange.newBuilder()
                        .setRequiredBytes(bytes)).build()).getCapacityBytes();
    }

    private Volume createDir(String name, long bytes) {
        return driver.controller().createVolume(create(name, bytes, "dir", mount(""))).getVolume();
    }

    private Volume createFrom(String name, long bytes, VolumeContentSource source) {
        return driver.controller().createVolume(create(name, bytes, "dir", mount("")).toBuilder()
                .setVolumeContentSource(source).build()).getVolume();
    }

    private Snapshot snapshot(String name, Volume source) {
        return driver.controller().createSnapshot(CreateSnapshotRequest.newBuilder().setName(name)
                .setSourceVolumeId(source.getVolumeId()).build()).getSnapshot();
    }

    private static VolumeContentSource fromSnapshot(Snapshot snapshot) {
        return VolumeContentSource.newBuilder().setSnapshot(VolumeContentSource.SnapshotSource.newBuilder()
                .setSnapshotId(snapshot.getSnapshotId())).build();
    }

    private Path dataOf(Volume volume) {
        String id = volume.getVolumeId();
        return disk.resolve("volumes").resolve(id.substring(id.lastIndexOf(':') + 1)).resolve("data");
    }

    private static void cleanUp(InProcessDriver driver) {
        driver.controller().listSnapshots(ListSnapshotsRequest.getDefaultInstance()).getEntriesList()
                .forEach(e -> driver.controller().deleteSnapshot(DeleteSnapshotRequest.newBuilder()
                        .setSnapshotId(e.getSnapshot().getSnapshotId()).build()));
        driver.controller().listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesList()
                .forEach(e -> driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder()
                        .setVolumeId(e.getVolume().getVolumeId()).build()));
    }
}
