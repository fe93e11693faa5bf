package dev.ordinal.driver.nfs;

import static dev.ordinal.driver.nfs.NfsTestSupport.create;
import static dev.ordinal.driver.nfs.NfsTestSupport.checksums;
import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.csi.v1.CapacityRange;
import dev.ordinal.csi.v1.ControllerExpandVolumeRequest;
import dev.ordinal.csi.v1.ControllerExpandVolumeResponse;
import dev.ordinal.csi.v1.CreateSnapshotRequest;
import dev.ordinal.csi.v1.DeleteSnapshotRequest;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.GetCapacityRequest;
import dev.ordinal.csi.v1.ListSnapshotsRequest;
import dev.ordinal.csi.v1.ListVolumesRequest;
import dev.ordinal.csi.v1.ListVolumesResponse;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.Snapshot;
import dev.ordinal.csi.v1.ValidateVolumeCapabilitiesRequest;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.csi.v1.VolumeContentSource;
import dev.ordinal.driver.support.Csi;
import dev.ordinal.driver.support.InProcessDriver;
import dev.ordinal.driver.support.TestRoot;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The controller half of NFS volumes on a real directory standing in for the export (the controller's pod sees
 * the export as a mounted directory, so this is the same code path). Each test names the rule it checks.
 */
class NfsControllerTest {

    private static final String ALL_VARIABLES =
            "${pvc.metadata.namespace}/${statefulset}/${ordinal}/${pvc.metadata.name}-${pv.metadata.name}";

    private TestRoot root;
    private Path export;
    private InProcessDriver driver;

    @BeforeEach
    void start() {
        root = TestRoot.create("nfs-controller");
        export = root.dir("exports/e1");
        driver = startDriver();
    }

    private InProcessDriver startDriver() {
        return InProcessDriver.start(root.path(), Map.of("d1", root.dir("disks/d1")), Map.of(),
                NfsTestSupport.settings(export, root.dir("state"), NfsSettings.NodeMount.BIND,
                        UsageCache.Limits.DEFAULT, null));
    }

    @AfterEach
    void stop() {
        driver.close();
        root.close();
    }

    private Volume createVolume(String name, long bytes, String namespace, String claim, String pv,
            Map<String, String> parameters) {
        return driver.controller().createVolume(create(name, bytes, namespace, claim, pv, parameters).build())
                .getVolume();
    }

    private void delete(String id) {
        driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
    }

    @Test
    void everyTemplateVariableLandsInTheSubdirectoryAndDeleteRemovesIt() throws IOException {
        Volume volume = createVolume("pvc-1", 10 * MIB, "shop", "data-db-2", "pvc-1",
                Map.of("subDir", ALL_VARIABLES));

        assertEquals("nfs#nas.example.com#/srv/k8s#shop/data-db/2/data-db-2-pvc-1", volume.getVolumeId());
        Path dir = export.resolve("shop/data-db/2/data-db-2-pvc-1");
        assertTrue(Files.isDirectory(dir));
        assertEquals(10 * MIB, volume.getCapacityBytes());
        assertEquals(Map.of("capacityBytes", Long.toString(10 * MIB), "server", "nas.example.com",
                "share", "/srv/k8s", "subDir", "shop/data-db/2/data-db-2-pvc-1", "claimNamespace", "shop",
                "claimName", "data-db-2", "persistentVolume", "pvc-1"), volume.getVolumeContextMap(),
                "the PV name is there for the node's usage series");
        assertEquals(1, metadataFiles().size());
        Files.writeString(dir.resolve("table.db"), "rows");

        delete(volume.getVolumeId());
        assertFalse(Files.exists(dir));
        assertEquals(List.of(), metadataFiles());
        delete(volume.getVolumeId()); // already deleted: OK
    }

    @Test
    void theDefaultTemplateIsNamespaceThenClaimAndVolumeName() {
        Volume volume = createVolume("pvc-2", MIB, "shop", "cache", "pvc-2", Map.of());
        assertEquals("nfs#nas.example.com#/srv/k8s#shop/cache-pvc-2", volume.getVolumeId());
        assertTrue(Files.isDirectory(export.resolve("shop/cache-pvc-2")));
        delete(volume.getVolumeId());
    }

    @Test
    void retainKeepsTheTreeAndANewClaimOfTheSameNameAdoptsIt() throws IOException {
        Map<String, String> parameters = Map.of("subDir", "${pvc.metadata.namespace}/${pvc.metadata.name}",
                "onDelete", "retain");
        Volume volume = createVolume("pvc-a", MIB, "shop", "data-db-0", "pvc-a", parameters);
        Path dir = export.resolve("shop/data-db-0");
        Files.writeString(dir.resolve("kept.txt"), "still here");

        delete(volume.getVolumeId());
        assertEquals("still here", Files.readString(dir.resolve("kept.txt")));
        assertEquals(List.of(), metadataFiles());

        // Data follows the claim name: the next volume for the same claim finds the retained files.
        Volume again = createVolume("pvc-b", MIB, "shop", "data-db-0", "pvc-b", parameters);
        assertEquals(volume.getVolumeId(), again.getVolumeId());
        assertEquals("still here", Files.readString(dir.resolve("kept.txt")));
        delete(again.getVolumeId());
    }

    @Test
    void archiveRenamesTheTreeAsideWithAUtcTimestamp() throws IOException {
        Volume volume = createVolume("pvc-arch", MIB, "shop", "data-db-1", "pvc-arch",
                Map.of("subDir", "${pvc.metadata.namespace}/${pvc.metadata.name}", "onDelete", "archive"));
        Files.writeString(export.resolve("shop/data-db-1/order.txt"), "42");

        delete(volume.getVolumeId());

        assertFalse(Files.exists(export.resolve("shop/data-db-1")));
        List<Path> archived;
        try (Stream<Path> list = Files.list(export.resolve("shop"))) {
            archived = list.toList();
        }
        assertEquals(1, archived.size());
        assertTrue(archived.get(0).getFileName().toString().matches("archived-data-db-1-\\d{8}T\\d{6}Z"),
                archived.get(0).toString());
        assertEquals("42", Files.readString(archived.get(0).resolve("order.txt")));
        assertEquals(List.of(), metadataFiles());
        delete(volume.getVolumeId()); // a retry after the archive is OK and archives nothing else
    }

    @Test
    void templatesThatLeaveTheExportAreRefused() throws IOException {
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> createVolume("e1", MIB, "shop", "c", "p",
                Map.of("subDir", "../${pvc.metadata.name}")));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> createVolume("e2", MIB, "shop", "c", "p",
                Map.of("subDir", "/etc/${pvc.metadata.name}")));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> createVolume("e3", MIB, "..", "c", "p",
                Map.of("subDir", "${pvc.metadata.namespace}/x")));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> createVolume("e4", MIB, "shop", "c", "p",
                Map.of("subDir", ".ordinal/volumes")));
        // A symbolic link inside the export that points outside it.
        Path outside = root.dir("outside");
        Files.createSymbolicLink(export.resolve("evil"), outside);
        String message = assertStatus(Status.Code.INVALID_ARGUMENT, () -> createVolume("e5", MIB, "evil", "c", "p",
                Map.of("subDir", "${pvc.metadata.namespace}/${pvc.metadata.name}")));
        assertTrue(message.contains("symbolic link pointing outside"), message);
        try (Stream<Path> list = Files.list(outside)) {
            assertEquals(0, list.count(), "nothing was created outside the export");
        }
        assertEquals(List.of(), metadataFiles());
    }

    @Test
    void unknownVariablesAndUnconfiguredExportsAreRefusedNamingTheCause() {
        String noMetadata = assertStatus(Status.Code.INVALID_ARGUMENT, () -> createVolume("m1", MIB, null, null,
                null, Map.of()));
        assertTrue(noMetadata.contains("${pvc.metadata.namespace}") && noMetadata.contains("--extra-create-metadata"),
                noMetadata);
        String noOrdinal = assertStatus(Status.Code.INVALID_ARGUMENT, () -> createVolume("m2", MIB, "shop", "cache",
                "p", Map.of("subDir", "${statefulset}/${ordinal}")));
        assertTrue(noOrdinal.contains("${statefulset}"), noOrdinal);
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> createVolume("m3", MIB, "shop", "c", "p",
                Map.of("subDir", "${pvc.metadata.uid}")));
        String unconfigured = assertStatus(Status.Code.INVALID_ARGUMENT, () -> createVolume("m4", MIB, "shop", "c",
                "p", Map.of("share", "/other")));
        assertTrue(unconfigured.contains("ordinal.nfs.exports"), unconfigured);
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> createVolume("m5", MIB, "shop", "c", "p",
                Map.of("onDelete", "shred")));
    }

    @Test
    void createIsIdempotentByNameAcrossARestartAndConflictsAreAlreadyExists() {
        Volume first = createVolume("pvc-i", 5 * MIB, "shop", "data-db-0", "pvc-i", Map.of());
        assertEquals(first, createVolume("pvc-i", 5 * MIB, "shop", "data-db-0", "pvc-i", Map.of()));

        driver.close();
        driver = startDriver();
        assertEquals(first, createVolume("pvc-i", 5 * MIB, "shop", "data-db-0", "pvc-i", Map.of()),
                "the catalog is rebuilt from the export's metadata");

        assertStatus(Status.Code.ALREADY_EXISTS, () -> createVolume("pvc-i", 9 * MIB, "shop", "data-db-0", "pvc-i",
                Map.of()));
        assertStatus(Status.Code.ALREADY_EXISTS, () -> createVolume("pvc-i", 5 * MIB, "shop", "data-db-0", "pvc-i",
                Map.of("onDelete", "retain")));
        // Another volume whose template lands in a directory a live volume owns.
        String taken = assertStatus(Status.Code.ALREADY_EXISTS, () -> createVolume("pvc-j", MIB, "shop",
                "data-db-0", "pvc-i", Map.of()));
        assertTrue(taken.contains("belongs to volume pvc-i"), taken);
        delete(first.getVolumeId());
    }

    @Test
    void snapshotChangeRestoreGivesBackTheBytesOfTheSnapshotAndCloneCopiesTheVolume() throws IOException {
        Volume volume = createVolume("pvc-s", 8 * MIB, "shop", "data-db-0", "pvc-s", Map.of());
        Path dir = export.resolve("shop/data-db-0-pvc-s");
        Files.createDirectories(dir.resolve("wal"));
        Files.write(dir.resolve("wal/000001"), new byte[300_000]);
        Files.writeString(dir.resolve("table.db"), "version 1");
        Files.createSymbolicLink(dir.resolve("current"), Path.of("wal/000001"));
        Map<String, String> before = checksums(dir);

        Snapshot snapshot = driver.controller().createSnapshot(CreateSnapshotRequest.newBuilder()
                .setName("snap-1").setSourceVolumeId(volume.getVolumeId()).build()).getSnapshot();
        assertTrue(snapshot.getSnapshotId().startsWith("nfs-snap#nas.example.com#/srv/k8s#snap-1-"));
        assertEquals(8 * MIB, snapshot.getSizeBytes());
        assertTrue(snapshot.getReadyToUse());
        assertEquals(snapshot, driver.controller().createSnapshot(CreateSnapshotRequest.newBuilder()
                .setName("snap-1").setSourceVolumeId(volume.getVolumeId()).build()).getSnapshot());

        Files.writeString(dir.resolve("table.db"), "version 2");
        Files.delete(dir.resolve("wal/000001"));
        assertNotEquals(before, checksums(dir));

        Volume restored = driver.controller().createVolume(create("pvc-r", 8 * MIB, "shop", "restored", "pvc-r",
                Map.of()).setVolumeContentSource(VolumeContentSource.newBuilder().setSnapshot(
                        VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId(snapshot.getSnapshotId())))
                .build()).getVolume();
        Path restoredDir = export.resolve("shop/restored-pvc-r");
        assertEquals(before, checksums(restoredDir));
        assertTrue(Files.isSymbolicLink(restoredDir.resolve("current")), "links are copied as links");
        assertEquals(snapshot.getSnapshotId(), restored.getContentSource().getSnapshot().getSnapshotId());

        Volume clone = driver.controller().createVolume(create("pvc-c", 8 * MIB, "shop", "clone", "pvc-c",
                Map.of()).setVolumeContentSource(VolumeContentSource.newBuilder().setVolume(
                        VolumeContentSource.VolumeSource.newBuilder().setVolumeId(volume.getVolumeId()))).build())
                .getVolume();
        assertEquals(checksums(dir), checksums(export.resolve("shop/clone-pvc-c")));

        assertStatus(Status.Code.OUT_OF_RANGE, () -> driver.controller().createVolume(create("pvc-small", MIB,
                "shop", "small", "pvc-small", Map.of()).setVolumeContentSource(VolumeContentSource.newBuilder()
                        .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder()
                                .setSnapshotId(snapshot.getSnapshotId()))).build()));
        assertStatus(Status.Code.ALREADY_EXISTS, () -> driver.controller().createSnapshot(CreateSnapshotRequest
                .newBuilder().setName("snap-1").setSourceVolumeId(clone.getVolumeId()).build()));
        assertStatus(Status.Code.NOT_FOUND, () -> driver.controller().createVolume(create("pvc-x", 8 * MIB, "shop",
                "x", "pvc-x", Map.of()).setVolumeContentSource(VolumeContentSource.newBuilder().setSnapshot(
                        VolumeContentSource.SnapshotSource.newBuilder()
                                .setSnapshotId("nfs-snap#nas.example.com#/srv/k8s#nothing"))).build()));
        assertEquals(List.of(snapshot), driver.controller().listSnapshots(ListSnapshotsRequest.newBuilder()
                .setSourceVolumeId(volume.getVolumeId()).build()).getEntriesList().stream()
                .map(e -> e.getSnapshot()).toList());

        driver.controller().deleteSnapshot(DeleteSnapshotRequest.newBuilder()
                .setSnapshotId(snapshot.getSnapshotId()).build());
        driver.controller().deleteSnapshot(DeleteSnapshotRequest.newBuilder()
                .setSnapshotId(snapshot.getSnapshotId()).build());
        assertEquals(0, driver.controller().listSnapshots(ListSnapshotsRequest.getDefaultInstance())
                .getEntriesCount());
        try (Stream<Path> list = Files.list(export.resolve(".ordinal/snapshots"))) {
            assertEquals(0, list.count());
        }
        for (Volume v : List.of(volume, restored, clone)) {
            delete(v.getVolumeId());
        }
    }

    @Test
    void expansionRaisesTheRecordedSizeAndAsksTheNodeShrinkIsOutOfRange() {
        Volume volume = createVolume("pvc-e", 4 * MIB, "shop", "logs", "pvc-e", Map.of());
        ControllerExpandVolumeResponse grown = driver.controller().controllerExpandVolume(
                ControllerExpandVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId())
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(12 * MIB)).build());
        assertEquals(12 * MIB, grown.getCapacityBytes());
        assertTrue(grown.getNodeExpansionRequired());
        assertStatus(Status.Code.OUT_OF_RANGE, () -> driver.controller().controllerExpandVolume(
                ControllerExpandVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId())
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(2 * MIB)).build()));

        driver.close();
        driver = startDriver();
        assertEquals(12 * MIB, driver.controller().listVolumes(ListVolumesRequest.getDefaultInstance())
                .getEntries(0).getVolume().getCapacityBytes(), "the new size is durable");
        delete(volume.getVolumeId());
    }

    @Test
    void listVolumesPagesAcrossLocalAndNfsVolumesInIdOrder() {
        Volume nfs1 = createVolume("pvc-n1", MIB, "shop", "a", "pvc-n1", Map.of());
        Volume nfs2 = createVolume("pvc-n2", MIB, "shop", "b", "pvc-n2", Map.of());
        Volume local = driver.controller().createVolume(Csi.create("pvc-l", 10 * MIB, "dir", Csi.mount("")))
                .getVolume();

        List<String> seen = new ArrayList<>();
        String token = "";
        int pages = 0;
        do {
            ListVolumesResponse page = driver.controller().listVolumes(ListVolumesRequest.newBuilder()
                    .setMaxEntries(1).setStartingToken(token).build());
            assertEquals(1, page.getEntriesCount());
            seen.add(page.getEntries(0).getVolume().getVolumeId());
            token = page.getNextToken();
            pages++;
        } while (!token.isEmpty() && pages < 10);

        assertEquals(List.of(local.getVolumeId(), nfs1.getVolumeId(), nfs2.getVolumeId()), seen);
        for (Volume v : List.of(nfs1, nfs2, local)) {
            delete(v.getVolumeId());
        }
    }

    @Test
    void getCapacityIsTheExportsFreeSpaceAndMultiNodeAccessIsServed() throws IOException {
        long free = driver.controller().getCapacity(GetCapacityRequest.newBuilder()
                .putParameters("server", NfsTestSupport.SERVER).putParameters("share", NfsTestSupport.SHARE)
                .addVolumeCapabilities(NfsTestSupport.multiWriter()).build()).getAvailableCapacity();
        long expected = Files.getFileStore(export).getUsableSpace();
        assertTrue(Math.abs(free - expected) < 256 * MIB, "GetCapacity " + free + " vs statfs " + expected);

        Volume volume = createVolume("pvc-v", MIB, "shop", "v", "pvc-v", Map.of());
        assertTrue(driver.controller().validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest.newBuilder()
                .setVolumeId(volume.getVolumeId()).addVolumeCapabilities(NfsTestSupport.multiWriter()).build())
                .hasConfirmed());
        assertFalse(driver.controller().validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest.newBuilder()
                .setVolumeId(volume.getVolumeId()).addVolumeCapabilities(Csi.block()).build()).hasConfirmed());
        delete(volume.getVolumeId());
    }

    @Test
    void malformedIdsAreDeletedAlreadyAndUnknownToTheNode() {
        delete("nfs#nas.example.com#/srv/k8s#../../etc");
        delete("nfs#garbage");
        assertStatus(Status.Code.NOT_FOUND, () -> driver.node().nodeUnstageVolume(NodeUnstageVolumeRequest
                .newBuilder().setVolumeId("nfs#nas.example.com#/srv/k8s#../../etc")
                .setStagingTargetPath(root.path().resolve("staging").toString()).build()));
        assertStatus(Status.Code.NOT_FOUND, () -> driver.controller().controllerExpandVolume(
                ControllerExpandVolumeRequest.newBuilder().setVolumeId("nfs#nas.example.com#/srv/k8s#nothing")
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(MIB)).build()));
    }

    private List<Path> metadataFiles() {
        Path dir = export.resolve(".ordinal/volumes");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
