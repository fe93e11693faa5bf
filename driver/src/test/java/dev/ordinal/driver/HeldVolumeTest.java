package dev.ordinal.driver;

import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.assertStatus;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.allocator.Allocator;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Disk;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.Node;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.allocator.model.Topology;
import dev.ordinal.csi.v1.CapacityRange;
import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.GetCapacityRequest;
import dev.ordinal.csi.v1.ListVolumesRequest;
import dev.ordinal.csi.v1.NodeGrpc;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.TopologyRequirement;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.csi.v1.VolumeCapability;
import dev.ordinal.driver.backend.ControllerRouter;
import dev.ordinal.driver.backend.NodeRouter;
import dev.ordinal.driver.cluster.ClusterClaims;
import dev.ordinal.driver.csi.ControllerService;
import dev.ordinal.driver.csi.NodeService;
import dev.ordinal.driver.host.Command;
import dev.ordinal.driver.host.CreatedPaths;
import dev.ordinal.driver.local.DiskSetup;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.local.LocalMounts;
import dev.ordinal.driver.local.LocalSnapshots;
import dev.ordinal.driver.local.LocalVolumes;
import dev.ordinal.driver.metrics.DriverMetrics;
import dev.ordinal.driver.support.Csi;
import dev.ordinal.driver.support.LoopDisk;
import dev.ordinal.driver.support.TestRoot;
import dev.ordinal.driver.volume.HeldPurger;
import dev.ordinal.driver.volume.Inventory;
import dev.ordinal.driver.volume.LocalController;
import dev.ordinal.driver.volume.NodePaths;
import dev.ordinal.driver.volume.NodeVolumeService;
import dev.ordinal.driver.volume.SnapshotService;
import dev.ordinal.driver.volume.VolumeLocks;
import dev.ordinal.driver.volume.VolumeService;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Deletion with a grace (StorageClass parameter deleteGrace, issue 23), through real CSI calls on real disks (a
 * plain directory, an ext4 loop disk for images, a btrfs loop disk for subvolumes): a deleted StatefulSet volume
 * is held on its disk, its returning ordinal gets the same data back on the same node, the grace ends in a purge
 * that gives the space back, and a new volume that needs the room purges the oldest held volume first, counted.
 * The claims and StatefulSets the driver reads live in fabric8's Kubernetes mock server in CRUD mode (an emulator
 * of the API server, as the cluster tests use), read by the driver's own {@link ClusterClaims}.
 */
class HeldVolumeTest {

    private static final String NODE = "held-node";
    private static final String NS = "shop";
    private static final VolumeCapability EXT4 = Csi.mount("ext4");
    private static final VolumeCapability DIRECTORY = Csi.mount("");

    private final List<AutoCloseable> running = new ArrayList<>();
    private TestRoot root;
    private KubernetesClient api;
    private ControllerGrpc.ControllerBlockingStub controller;
    private NodeGrpc.NodeBlockingStub node;
    private VolumeService volumes;
    private SimpleMeterRegistry registry;

    @AfterEach
    void stop() throws Exception {
        try {
            for (int i = running.size() - 1; i >= 0; i--) {
                running.get(i).close();
            }
        } finally {
            running.clear();
            if (root != null) {
                root.close();
            }
        }
    }

    @ParameterizedTest(name = "layout {0}")
    @ValueSource(strings = {"dir", "image", "subvolume"})
    void aReturningOrdinalGetsItsDataBackOnTheSameDiskGrownToTheSizeAsked(String layout) throws IOException {
        Path disk = start("held-" + layout, layout, 512 * MIB);
        statefulSet("web");
        Map<String, String> tenMinutes = Map.of("layout", layout, "deleteGrace", "10m");
        Volume first = create("pvc-first", claim("data-web-1"), 64 * MIB, layout, tenMinutes);
        writeAsKubelet(first, layout, "ordinal one\n");
        long capacityWhileLive = capacity(layout);

        controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(first.getVolumeId()).build());
        assertTrue(listed().isEmpty(), "a held volume is deleted for the CO");
        // Held data still counts against its disk (a few bytes of the hold record aside).
        assertTrue(capacity(layout) < capacityWhileLive + 16 * MIB, "held data still counts against its disk");
        assertTrue(Files.isDirectory(disk.resolve("held").resolve(first.getVolumeId().split(":")[3])),
                "the data waits in the disk's held/ directory");
        // A retried DeleteVolume (the CO lost the answer) is answered OK and changes nothing.
        controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(first.getVolumeId()).build());
        assertEquals(1, volumes.held().size());

        api.persistentVolumeClaims().inNamespace(NS).withName("data-web-1").delete();
        Volume back = create("pvc-again", claim("data-web-1"), 128 * MIB, layout, tenMinutes);
        assertEquals(first.getVolumeId(), back.getVolumeId(), "the same volume, on the same node and disk");
        assertEquals(128 * MIB, back.getCapacityBytes(), "a larger size asked grows it");
        assertEquals(Map.of(Topology.NODE_KEY, NODE), back.getAccessibleTopology(0).getSegmentsMap(),
                "pinned to the node that holds the data");
        assertEquals("ordinal one\n", readAsKubelet(back, layout));
        assertTrue(volumes.held().isEmpty());
        // A retried CreateVolume of the returned name answers the same volume.
        assertEquals(back, create("pvc-again", metadataOf("data-web-1"), 128 * MIB, layout, tenMinutes));
    }

    @Test
    void whenTheGraceEndsTheDataIsPurgedAndTheSpaceIsBack() throws IOException {
        Path disk = start("held-expiry", "image", 512 * MIB);
        statefulSet("web");
        long empty = capacity("image");
        Volume volume = create("pvc-short", claim("data-web-2"), 64 * MIB, "image",
                Map.of("layout", "image", "deleteGrace", "1s"));
        writeAsKubelet(volume, "image", "short-lived\n");
        controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId()).build());
        assertEquals(1, volumes.held().size());
        assertTrue(capacity("image") < empty, "held while the grace runs");

        // The space is back (within the few blocks the filesystem's own metadata moves by).
        await().atMost(Duration.ofSeconds(30)).until(() -> volumes.held().isEmpty()
                && Math.abs(capacity("image") - empty) < MIB);
        try (Stream<Path> held = Files.list(disk.resolve("held"))) {
            assertEquals(List.of(), held.toList(), "nothing of the purged volume is left on the disk");
        }
        assertEquals(1.0, purges("expired"));
        assertEquals(0.0, purges("room"));
        // The ordinal that comes back after the grace gets a new, empty volume.
        api.persistentVolumeClaims().inNamespace(NS).withName("data-web-2").delete();
        Volume fresh = create("pvc-late", claim("data-web-2"), 64 * MIB, "image", Map.of("layout", "image"));
        assertNotEquals(volume.getVolumeId(), fresh.getVolumeId());
    }

    @Test
    void aNewVolumeThatNeedsTheRoomPurgesTheOldestHeldVolumeFirstAndCountsIt() throws IOException {
        start("held-room", "image", 512 * MIB, Capacity.ofMiB(200));
        statefulSet("web");
        Map<String, String> grace = Map.of("layout", "image", "deleteGrace", "1h");
        Volume oldest = create("pvc-a", claim("data-web-0"), 80 * MIB, "image", grace);
        Volume newer = create("pvc-b", claim("data-web-1"), 80 * MIB, "image", grace);
        controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(oldest.getVolumeId()).build());
        controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(newer.getVolumeId()).build());
        assertEquals(160.0 * MIB, held("ordinal.held"));

        // Not a StatefulSet's claim: 100 MiB fit only once one held volume is gone.
        create("pvc-other", Map.of(), 100 * MIB, "image", Map.of("layout", "image"));
        assertEquals(List.of(newer.getVolumeId()), volumes.held().stream().map(h -> h.record().id().toString())
                .toList(), "the oldest hold went first, and only as much as needed");
        assertEquals(1.0, purges("room"));
        assertEquals(1.0, held("ordinal.held.volumes"));
    }

    @Test
    void aReturningOrdinalScheduledOnAnotherNodeIsRefusedWithTheNodeThatHoldsItsData() throws IOException {
        start("held-topology", "dir", 512 * MIB);
        statefulSet("web");
        Map<String, String> grace = Map.of("layout", "dir", "deleteGrace", "10m");
        Volume first = create("pvc-x", claim("data-web-1"), 16 * MIB, "dir", grace);
        controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(first.getVolumeId()).build());
        api.persistentVolumeClaims().inNamespace(NS).withName("data-web-1").delete();

        CreateVolumeRequest elsewhere = request("pvc-y", claim("data-web-1"), 16 * MIB, DIRECTORY, grace).toBuilder()
                .setAccessibilityRequirements(TopologyRequirement.newBuilder().addRequisite(
                        dev.ordinal.csi.v1.Topology.newBuilder().putSegments(Topology.NODE_KEY, "node-b")))
                .build();
        String message = assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> controller.createVolume(elsewhere));
        assertTrue(message.contains("held on node " + NODE) && message.contains("ordinal 1 of StatefulSet shop/web"),
                message);
        assertEquals(1, volumes.held().size(), "the refusal leaves the data held");
    }

    @ParameterizedTest(name = "deleteGrace={0}")
    @ValueSource(strings = {"soon", "10", "-5m", "1d"})
    void aBadGraceIsInvalidArgumentNamingTheParameter(String grace) throws IOException {
        start("held-bad", "dir", 512 * MIB);
        String message = assertStatus(Status.Code.INVALID_ARGUMENT, () -> controller.createVolume(
                request("pvc-bad", Map.of(), 16 * MIB, DIRECTORY, Map.of("layout", "dir", "deleteGrace", grace))));
        assertTrue(message.contains("deleteGrace") && message.contains(grace), message);
    }

    @Test
    void aVolumeOfNoStatefulSetIsDeletedAtOnceWhateverItsClass() throws IOException {
        Path disk = start("held-none", "dir", 512 * MIB);
        Volume plain = create("pvc-plain", Map.of(), 16 * MIB, "dir", Map.of("layout", "dir", "deleteGrace", "10m"));
        controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(plain.getVolumeId()).build());
        assertTrue(volumes.held().isEmpty());
        assertFalse(Files.exists(disk.resolve("volumes").resolve(plain.getVolumeId().split(":")[3])));
    }

    @Test
    void aDriverThatCannotHoldRefusesAClassAskingForAGrace() {
        root = TestRoot.create("held-refused");
        try (dev.ordinal.driver.support.InProcessDriver plain = dev.ordinal.driver.support.InProcessDriver.start(
                root.path(), Map.of("d1", root.dir("disks/d1")))) {
            String message = assertStatus(Status.Code.FAILED_PRECONDITION, () -> plain.controller().createVolume(
                    request("pvc-promise", Map.of(), 16 * MIB, DIRECTORY, Map.of("layout", "dir", "deleteGrace",
                            "10m"))));
            assertTrue(message.contains("deleteGrace=10m") && message.contains("Kubernetes API"), message);
        }
    }

    // ---- the driver, as DriverAssembly builds an all-in-one one, with the claims of an API server ----

    private Path start(String name, String layout, long bytes) throws IOException {
        return start(name, layout, bytes, null);
    }

    private Path start(String name, String layout, long bytes, Capacity capacity) throws IOException {
        root = TestRoot.create(name);
        Path diskDir;
        if (layout.equals("subvolume")) {
            LoopDisk btrfs = LoopDisk.make(root, "btrfs", bytes, "mkfs.btrfs", "-q");
            running.add(btrfs);
            diskDir = btrfs.mountPoint();
        } else if (layout.equals("image")) {
            LoopDisk ext4 = LoopDisk.make(root, "ext4", bytes, "mkfs.ext4", "-q");
            running.add(ext4);
            diskDir = ext4.mountPoint();
        } else {
            diskDir = root.dir("disks/d1");
        }
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        running.add(server::destroy);
        api = server.createClient();
        running.add(api::close);

        NodeName nodeName = new NodeName(NODE);
        LocalDisk localDisk = DiskSetup.open(new DiskName("d1"), diskDir, Optional.ofNullable(capacity), true);
        LocalVolumes local = new LocalVolumes(nodeName, List.of(localDisk));
        LocalSnapshots snapshots = new LocalSnapshots(local);
        Allocator allocator = new Allocator();
        allocator.addNode(new Node(nodeName, Map.of(Topology.NODE_KEY, NODE), true));
        allocator.addDisk(nodeName, new Disk(localDisk.name(), localDisk.layouts(), localDisk.capacity(),
                Capacity.ZERO));
        Inventory inventory = new Inventory(local, snapshots, allocator);
        inventory.recover();
        ClusterClaims claims = new ClusterClaims(api).start();
        running.add(claims);
        VolumeLocks locks = new VolumeLocks();
        volumes = new VolumeService(inventory, locks, Capacity.ofMiB(64), Clock.systemUTC(), Optional.of(claims));
        SnapshotService snapshotService = new SnapshotService(inventory, locks, Clock.systemUTC());
        registry = new SimpleMeterRegistry();
        DriverMetrics metrics = DriverMetrics.into(registry, Duration.ofMinutes(10), 100);
        metrics.watchController(nodeName, local, allocator, volumes, snapshotService);
        running.add(metrics);
        running.add(HeldPurger.start(volumes, Duration.ofMillis(200)));
        NodeVolumeService localNode = new NodeVolumeService(local,
                new LocalMounts(local, new CreatedPaths(root.dir("state"))), locks, new NodePaths(List.of(root.path()),
                        List.of(diskDir)));

        String channelName = InProcessServerBuilder.generateName();
        Server grpc = InProcessServerBuilder.forName(channelName)
                .addService(new ControllerService(new ControllerRouter(new LocalController(volumes, snapshotService),
                        List.of())))
                .addService(new NodeService(new NodeRouter(localNode, List.of()), NODE, 0,
                        Map.of(Topology.NODE_KEY, NODE)))
                .build().start();
        ManagedChannel channel = InProcessChannelBuilder.forName(channelName).build();
        running.add(() -> {
            channel.shutdownNow();
            grpc.shutdownNow();
        });
        controller = ControllerGrpc.newBlockingStub(channel);
        node = NodeGrpc.newBlockingStub(channel);
        return diskDir;
    }

    private void statefulSet(String name) {
        api.apps().statefulSets().inNamespace(NS).resource(new StatefulSetBuilder()
                .withNewMetadata().withName(name).withNamespace(NS).endMetadata()
                .withNewSpec().withReplicas(3).withServiceName(name)
                .addNewVolumeClaimTemplate().withNewMetadata().withName("data").endMetadata().endVolumeClaimTemplate()
                .endSpec().build()).create();
    }

    /** Makes the claim (a new uid each time, as a re-created claim has) and the metadata external-provisioner adds. */
    private Map<String, String> claim(String name) {
        api.persistentVolumeClaims().inNamespace(NS).resource(new PersistentVolumeClaimBuilder()
                .withNewMetadata().withName(name).withNamespace(NS).withUid(UUID.randomUUID().toString())
                .endMetadata().build()).create();
        return metadataOf(name);
    }

    private static Map<String, String> metadataOf(String name) {
        return Map.of("csi.storage.k8s.io/pvc/namespace", NS, "csi.storage.k8s.io/pvc/name", name);
    }

    private Volume create(String name, Map<String, String> claim, long bytes, String layout,
            Map<String, String> parameters) {
        VolumeCapability capability = layout.equals("image") ? EXT4 : DIRECTORY;
        return controller.createVolume(request(name, claim, bytes, capability, parameters)).getVolume();
    }

    private static CreateVolumeRequest request(String name, Map<String, String> claim, long bytes,
            VolumeCapability capability, Map<String, String> parameters) {
        Map<String, String> all = new HashMap<>(parameters);
        all.putAll(claim);
        if (!claim.isEmpty()) {
            all.put("csi.storage.k8s.io/pv/name", name);
        }
        return CreateVolumeRequest.newBuilder().setName(name)
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(bytes))
                .addVolumeCapabilities(capability).putAllParameters(all).build();
    }

    private List<String> listed() {
        return controller.listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesList().stream()
                .map(e -> e.getVolume().getVolumeId()).toList();
    }

    private long capacity(String layout) {
        return controller.getCapacity(GetCapacityRequest.newBuilder().putParameters("layout", layout).build())
                .getAvailableCapacity();
    }

    private double purges(String reason) {
        return registry.get("ordinal.held.purges").tag("reason", reason).counter().count();
    }

    private double held(String gauge) {
        return registry.get(gauge).gauge().value();
    }

    /** Stages and publishes the volume as kubelet does, writes a file and syncs it, then unpublishes and unstages. */
    private void writeAsKubelet(Volume volume, String layout, String content) throws IOException {
        Path target = mount(volume, layout);
        try {
            Files.writeString(target.resolve("ordinal.txt"), content);
            Command.check("sync", "sync", "--", target.resolve("ordinal.txt").toString());
        } finally {
            unmount(volume);
        }
    }

    private String readAsKubelet(Volume volume, String layout) throws IOException {
        Path target = mount(volume, layout);
        try {
            return Files.readString(target.resolve("ordinal.txt"));
        } finally {
            unmount(volume);
        }
    }

    private Path mount(Volume volume, String layout) {
        VolumeCapability capability = layout.equals("image") ? EXT4 : DIRECTORY;
        Path staging = root.dir("staging/" + Integer.toHexString(volume.getVolumeId().hashCode()));
        Path target = root.path().resolve("target-" + Integer.toHexString(volume.getVolumeId().hashCode()));
        node.nodeStageVolume(Csi.stage(volume.getVolumeId(), staging, capability));
        node.nodePublishVolume(Csi.publish(volume.getVolumeId(), staging, target, capability, false));
        return target;
    }

    private void unmount(Volume volume) {
        Path staging = root.dir("staging/" + Integer.toHexString(volume.getVolumeId().hashCode()));
        Path target = root.path().resolve("target-" + Integer.toHexString(volume.getVolumeId().hashCode()));
        node.nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId())
                .setTargetPath(target.toString()).build());
        node.nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId())
                .setStagingTargetPath(staging.toString()).build());
    }
}
