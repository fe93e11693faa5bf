package dev.ordinal.driver.csi;

import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.assertStatus;
import static dev.ordinal.driver.support.Csi.create;
import static dev.ordinal.driver.support.Csi.mount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.csi.v1.CapacityRange;
import dev.ordinal.csi.v1.ControllerGetCapabilitiesRequest;
import dev.ordinal.csi.v1.ControllerServiceCapability;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.GetCapacityRequest;
import dev.ordinal.csi.v1.GetCapacityResponse;
import dev.ordinal.csi.v1.ListVolumesRequest;
import dev.ordinal.csi.v1.ListVolumesResponse;
import dev.ordinal.csi.v1.Topology;
import dev.ordinal.csi.v1.TopologyRequirement;
import dev.ordinal.csi.v1.ValidateVolumeCapabilitiesRequest;
import dev.ordinal.csi.v1.ValidateVolumeCapabilitiesResponse;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.driver.support.InProcessDriver;
import dev.ordinal.driver.support.TestRoot;
import dev.ordinal.driver.volume.VolumeLocks;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Controller service's spec rules, each test named by the rule it checks. Real disks, in-process gRPC. */
class ControllerConformanceTest {

    private TestRoot root;
    private InProcessDriver driver;
    private Path disk;

    @BeforeEach
    void start() {
        root = TestRoot.create("controller");
        disk = root.dir("disks/d1");
        // Two disks of known size, so capacity answers are exact.
        driver = InProcessDriver.start(root.path(), Map.of("d1", disk, "d2", root.dir("disks/d2")),
                Map.of("d1", Capacity.ofMiB(100), "d2", Capacity.ofMiB(50)));
    }

    @AfterEach
    void stop() {
        for (ListVolumesResponse.Entry entry : driver.controller().listVolumes(ListVolumesRequest.getDefaultInstance())
                .getEntriesList()) {
            driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder()
                    .setVolumeId(entry.getVolume().getVolumeId()).build());
        }
        driver.close();
        root.close();
    }

    @Test
    void sameNameAndParametersGiveTheSameVolume() {
        Volume first = createDir("pvc-1", 10 * MIB);
        Volume again = createDir("pvc-1", 10 * MIB);
        assertEquals(first, again);
        assertEquals(1, driver.controller().listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesCount());
    }

    @Test
    void sameNameWithAnotherCapacityIsAlreadyExists() {
        createDir("pvc-1", 10 * MIB);
        String message = assertStatus(Status.Code.ALREADY_EXISTS, () -> createDir("pvc-1", 20 * MIB));
        assertTrue(message.contains("10 MiB"), message);
    }

    @Test
    void sameNameWithOtherParametersIsAlreadyExists() {
        createDir("pvc-1", 10 * MIB);
        assertStatus(Status.Code.ALREADY_EXISTS, () -> driver.controller().createVolume(
                create("pvc-1", 10 * MIB, "dir", mount("")).toBuilder().putParameters("fitPolicy", "binpack")
                        .build()));
    }

    @Test
    void capacityLargerThanAnyDiskIsOutOfRange() {
        String message = assertStatus(Status.Code.OUT_OF_RANGE, () -> createDir("huge", 200 * MIB));
        assertTrue(message.contains("100 MiB"), message);
    }

    @Test
    void notEnoughFreeSpaceIsResourceExhausted() {
        createDir("a", 90 * MIB);
        createDir("b", 40 * MIB);
        // 10 MiB left on d1 and 10 MiB on d2: 30 MiB fits on neither.
        String message = assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> createDir("c", 30 * MIB));
        assertTrue(message.contains("30 MiB"), message);
    }

    @Test
    void spaceIsGivenBackOnDelete() {
        Volume a = createDir("a", 90 * MIB);
        driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(a.getVolumeId()).build());
        createDir("b", 90 * MIB);
    }

    @Test
    void volumeIdsFitTheSpecSizeAndNameTheClaim() {
        Volume volume = driver.controller().createVolume(create("pvc-6f1c", 10 * MIB, "dir", mount("")).toBuilder()
                .putParameters("csi.storage.k8s.io/pvc/namespace", "shop")
                .putParameters("csi.storage.k8s.io/pvc/name", "data-db-0").build()).getVolume();
        assertTrue(volume.getVolumeId().length() <= 128, volume.getVolumeId());
        String dirName = volume.getVolumeId().substring(volume.getVolumeId().lastIndexOf(':') + 1);
        assertTrue(dirName.startsWith("shop_data-db-0_"), dirName);
        // An operator finds the claim's data with ls.
        assertTrue(Files.isDirectory(root.path().resolve("disks").resolve(volume.getVolumeId().split(":")[2])
                .resolve("volumes").resolve(dirName).resolve("data")));
    }

    @Test
    void createVolumeAnswersWithTheNodesTopology() {
        Volume volume = createDir("pvc-1", 10 * MIB);
        assertEquals(List.of(Topology.newBuilder().putSegments("topology.ordinal.csi.dev/node",
                InProcessDriver.NODE).build()), volume.getAccessibleTopologyList());
    }

    @Test
    void requisiteTopologyOfAnotherNodeIsResourceExhausted() {
        assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> driver.controller().createVolume(
                create("pvc-1", 10 * MIB, "dir", mount("")).toBuilder().setAccessibilityRequirements(
                        TopologyRequirement.newBuilder().addRequisite(Topology.newBuilder()
                                .putSegments("topology.ordinal.csi.dev/node", "elsewhere"))).build()));
    }

    @Test
    void missingCapacityGetsTheDefaultSize() {
        Volume volume = driver.controller().createVolume(CreateVolumeRequest.newBuilder().setName("no-size")
                .addVolumeCapabilities(mount("")).putParameters("layout", "dir").build()).getVolume();
        assertEquals(64 * MIB, volume.getCapacityBytes());
    }

    @Test
    void sizesAreRoundedUpWithinTheLimit() {
        Volume volume = driver.controller().createVolume(create("odd", 5 * MIB + 1, "dir", mount("")).toBuilder()
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(5 * MIB + 1).setLimitBytes(5 * MIB + 4096))
                .build()).getVolume();
        assertEquals(5 * MIB + 4096, volume.getCapacityBytes());
    }

    @Test
    void deletingAnUnknownVolumeIsOk() {
        driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId("local:test-node:d1:gone")
                .build());
        driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId("some-other-driver-id")
                .build());
    }

    @Test
    void deletingTwiceIsOk() {
        Volume volume = createDir("pvc-1", 10 * MIB);
        DeleteVolumeRequest delete = DeleteVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId()).build();
        driver.controller().deleteVolume(delete);
        driver.controller().deleteVolume(delete);
        assertEquals(0, driver.controller().listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesCount());
    }

    @Test
    void deletingAVolumeOfAnotherNodeIsRefusedNotForgotten() {
        String message = assertStatus(Status.Code.FAILED_PRECONDITION, () -> driver.controller().deleteVolume(
                DeleteVolumeRequest.newBuilder().setVolumeId("local:other-node:d1:x").build()));
        assertTrue(message.contains("other-node"), message);
    }

    @Test
    void aCallThatFindsAnOperationInFlightIsAborted() {
        Volume volume = createDir("pvc-1", 10 * MIB);
        try (VolumeLocks.Held busy = driver.locks().acquire(volume.getVolumeId(), "NodeStageVolume")) {
            String message = assertStatus(Status.Code.ABORTED, () -> driver.controller().deleteVolume(
                    DeleteVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId()).build()));
            assertTrue(message.contains("in progress"), message);
        }
        try (VolumeLocks.Held busy = driver.locks().acquire("pvc-2", "CreateVolume")) {
            assertStatus(Status.Code.ABORTED, () -> createDir("pvc-2", 10 * MIB));
        }
        // Once the other operation is done, the same calls go through.
        createDir("pvc-2", 10 * MIB);
        driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId()).build());
    }

    @Test
    void listVolumesPagesThroughEveryVolumeOnce() {
        Set<String> created = new HashSet<>();
        for (int i = 0; i < 7; i++) {
            created.add(createDir("pvc-" + i, MIB).getVolumeId());
        }
        List<String> seen = new ArrayList<>();
        String token = "";
        int pages = 0;
        do {
            ListVolumesResponse page = driver.controller().listVolumes(ListVolumesRequest.newBuilder()
                    .setMaxEntries(3).setStartingToken(token).build());
            assertTrue(page.getEntriesCount() <= 3);
            page.getEntriesList().forEach(e -> seen.add(e.getVolume().getVolumeId()));
            token = page.getNextToken();
            pages++;
        } while (!token.isEmpty());
        assertEquals(3, pages);
        assertEquals(created, new HashSet<>(seen));
        assertEquals(created.size(), seen.size());
    }

    @Test
    void listVolumesTokensSurviveDeletionsBetweenPages() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(createDir("pvc-" + i, MIB).getVolumeId());
        }
        ListVolumesResponse first = driver.controller().listVolumes(ListVolumesRequest.newBuilder().setMaxEntries(2)
                .build());
        String lastOfFirst = first.getEntries(1).getVolume().getVolumeId();
        driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(lastOfFirst).build());
        ListVolumesResponse second = driver.controller().listVolumes(ListVolumesRequest.newBuilder().setMaxEntries(2)
                .setStartingToken(first.getNextToken()).build());
        assertEquals(2, second.getEntriesCount());
        assertFalse(second.getEntriesList().stream().anyMatch(e -> e.getVolume().getVolumeId().equals(lastOfFirst)));
    }

    @Test
    void getCapacityReportsFreeSpacePerLayoutAndSegment() {
        GetCapacityResponse empty = capacity(Map.of("layout", "dir"), Map.of());
        assertEquals(150 * MIB, empty.getAvailableCapacity());
        assertEquals(100 * MIB, empty.getMaximumVolumeSize().getValue());
        createDir("a", 60 * MIB);
        GetCapacityResponse after = capacity(Map.of("layout", "dir"), Map.of());
        assertEquals(90 * MIB, after.getAvailableCapacity());
        assertEquals(50 * MIB, after.getMaximumVolumeSize().getValue());
        assertEquals(90 * MIB, capacity(Map.of("layout", "dir"),
                Map.of("topology.ordinal.csi.dev/node", InProcessDriver.NODE)).getAvailableCapacity());
        assertEquals(0, capacity(Map.of("layout", "dir"),
                Map.of("topology.ordinal.csi.dev/node", "elsewhere")).getAvailableCapacity());
        // These disks are not btrfs: there is no room for subvolumes at all.
        assertEquals(0, capacity(Map.of("layout", "subvolume"), Map.of()).getAvailableCapacity());
    }

    @Test
    void validateVolumeCapabilitiesConfirmsOnlyWhatTheVolumeServes() {
        Volume volume = createDir("pvc-1", MIB);
        ValidateVolumeCapabilitiesResponse ok = driver.controller().validateVolumeCapabilities(
                ValidateVolumeCapabilitiesRequest.newBuilder().setVolumeId(volume.getVolumeId())
                        .addVolumeCapabilities(mount("")).build());
        assertTrue(ok.hasConfirmed());
        assertEquals(List.of(mount("")), ok.getConfirmed().getVolumeCapabilitiesList());
        ValidateVolumeCapabilitiesResponse block = driver.controller().validateVolumeCapabilities(
                ValidateVolumeCapabilitiesRequest.newBuilder().setVolumeId(volume.getVolumeId())
                        .addVolumeCapabilities(dev.ordinal.driver.support.Csi.block()).build());
        assertFalse(block.hasConfirmed());
        assertTrue(block.getMessage().contains("mount"), block.getMessage());
        ValidateVolumeCapabilitiesResponse otherParameters = driver.controller().validateVolumeCapabilities(
                ValidateVolumeCapabilitiesRequest.newBuilder().setVolumeId(volume.getVolumeId())
                        .addVolumeCapabilities(mount("")).putParameters("layout", "image").build());
        assertFalse(otherParameters.hasConfirmed());
    }

    @Test
    void capabilitiesAdvertiseOnlyWhatWorks() {
        Set<ControllerServiceCapability.RPC.Type> types = new HashSet<>();
        driver.controller().controllerGetCapabilities(ControllerGetCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesList().forEach(c -> types.add(c.getRpc().getType()));
        assertEquals(Set.of(ControllerServiceCapability.RPC.Type.CREATE_DELETE_VOLUME,
                ControllerServiceCapability.RPC.Type.LIST_VOLUMES, ControllerServiceCapability.RPC.Type.GET_CAPACITY,
                ControllerServiceCapability.RPC.Type.SINGLE_NODE_MULTI_WRITER,
                ControllerServiceCapability.RPC.Type.CREATE_DELETE_SNAPSHOT,
                ControllerServiceCapability.RPC.Type.LIST_SNAPSHOTS, ControllerServiceCapability.RPC.Type.CLONE_VOLUME,
                ControllerServiceCapability.RPC.Type.EXPAND_VOLUME), types);
        // What is not advertised answers UNIMPLEMENTED rather than pretending: local volumes need no attach.
        assertStatus(Status.Code.UNIMPLEMENTED, () -> driver.controller().controllerPublishVolume(
                dev.ordinal.csi.v1.ControllerPublishVolumeRequest.newBuilder().setVolumeId("v").setNodeId("n")
                        .build()));
    }

    private Volume createDir(String name, long bytes) {
        return driver.controller().createVolume(create(name, bytes, "dir", mount(""))).getVolume();
    }

    private GetCapacityResponse capacity(Map<String, String> parameters, Map<String, String> segment) {
        GetCapacityRequest.Builder request = GetCapacityRequest.newBuilder().putAllParameters(parameters);
        if (!segment.isEmpty()) {
            request.setAccessibleTopology(Topology.newBuilder().putAllSegments(segment));
        }
        return driver.controller().getCapacity(request.build());
    }
}
