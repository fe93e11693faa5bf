package dev.ordinal.driver.cluster;

import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.assertStatus;
import static dev.ordinal.driver.support.Csi.create;
import static dev.ordinal.driver.support.Csi.mount;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.contract.crd.OrdinalNode;
import dev.ordinal.contract.crd.OrdinalSnapshot;
import dev.ordinal.contract.crd.OrdinalVolume;
import dev.ordinal.csi.v1.CapacityRange;
import dev.ordinal.csi.v1.ControllerExpandVolumeRequest;
import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.CreateSnapshotRequest;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.DeleteSnapshotRequest;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.GetCapacityRequest;
import dev.ordinal.csi.v1.Topology;
import dev.ordinal.csi.v1.TopologyRequirement;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.csi.v1.VolumeContentSource;
import dev.ordinal.driver.DriverAssembly;
import dev.ordinal.driver.DriverMode;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.local.DiskSetup;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.local.LocalVolumes;
import dev.ordinal.driver.metrics.DriverMetrics;
import dev.ordinal.driver.model.ClaimRef;
import dev.ordinal.driver.model.ContentSource;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.support.ClusterRecords;
import dev.ordinal.driver.support.InProcessDriver;
import dev.ordinal.driver.support.TestRoot;
import dev.ordinal.driver.volume.VolumeLocks;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Cluster mode end to end against Quarkus' Kubernetes test server in CRUD mode: one controller-mode driver and
 * several node-mode drivers in this JVM, each node with a disk root of its own, talking only through the
 * OrdinalNode, OrdinalVolume and OrdinalSnapshot resources.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class ClusterModeTest {

    @KubernetesTestServer
    KubernetesServer kubernetes;
    private KubernetesMockServer server;

    private TestRoot root;
    private final List<AutoCloseable> running = new ArrayList<>();
    private final Map<String, DriverAssembly> nodes = new HashMap<>();
    /** Each node's metrics, as its /q/metrics would show them. */
    private final Map<String, SimpleMeterRegistry> metrics = new HashMap<>();
    /** Each driver's per-volume locks, as its RPCs take them. */
    private final Map<String, VolumeLocks> locks = new HashMap<>();
    private ControllerGrpc.ControllerBlockingStub controller;

    @BeforeEach
    void start() throws Exception {
        server = kubernetes.getKubernetesMockServer();
        root = TestRoot.create("cluster");
        startNode("node-a");
        startNode("node-b");
        controller = inProcess(settings(DriverMode.CONTROLLER, "controller", List.of(), Duration.ofSeconds(10)));
        // The controller knows a node once its agent has reported: both disks count.
        await().atMost(Duration.ofSeconds(20)).until(() -> capacity(Map.of()) == 2 * 100 * MIB);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
        running.clear();
        nodes.clear();
        metrics.clear();
        locks.clear();
        KubernetesClient client = server.createClient();
        ClusterRecords.deleteAll(client);
        client.nodes().delete();
        root.close();
    }

    @Test
    void ordinalsOfAStatefulSetLandOnDistinctNodesAndAFourthIsRefusedWithNumbers() {
        startNode("node-c");
        await().atMost(Duration.ofSeconds(20)).until(() -> capacity(Map.of()) == 3 * 100 * MIB);
        List<Volume> ordinals = List.of(createOrdinal(0, 10 * MIB), createOrdinal(1, 10 * MIB),
                createOrdinal(2, 10 * MIB));
        assertEquals(Set.of("node-a", "node-b", "node-c"), ordinals.stream().map(ClusterModeTest::nodeOf)
                .collect(Collectors.toSet()));
        for (Volume volume : ordinals) {
            OrdinalVolume resource = resource(volume);
            assertEquals("Ready", resource.getStatus().phase);
            assertEquals("data-db", resource.getSpec().statefulSet);
            assertEquals(dataOf(volume).getParent().toString(), resource.getStatus().path);
            assertTrue(Files.isDirectory(dataOf(volume)), "data made on " + nodeOf(volume));
        }
        // Hard node spread with every node holding an ordinal of db: the refusal says so in numbers.
        String message = assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> createOrdinal(3, 10 * MIB));
        assertTrue(message.contains("3 nodes") && message.contains("hold"), message);
    }

    @Test
    void aFullDiskIsRefusedWithNumbers() {
        pinned("big", 90 * MIB, "node-a");
        String message = assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> pinned("more", 20 * MIB, "node-a"));
        assertTrue(message.contains("10 MiB") && message.contains("20 MiB"), message);
    }

    @Test
    void aNodeAgentRestartedMidCreateConverges() throws Exception {
        nodes.remove("node-b").close();
        // The controller writes the resource and waits; no agent answers within the RPC's wait.
        ControllerGrpc.ControllerBlockingStub impatient = inProcess(settings(DriverMode.CONTROLLER, "controller",
                List.of(), Duration.ofMillis(500)));
        assertStatus(Status.Code.ABORTED, () -> impatient.createVolume(pinnedRequest("late", 10 * MIB, "node-b")));
        assertNull(resourceNamed("late").getStatus());

        startNode("node-b");
        await().atMost(Duration.ofSeconds(20)).until(() -> resourceNamed("late").getStatus() != null
                && "Ready".equals(resourceNamed("late").getStatus().phase));
        Volume volume = impatient.createVolume(pinnedRequest("late", 10 * MIB, "node-b")).getVolume();
        assertEquals("node-b", nodeOf(volume));
        assertTrue(Files.isDirectory(dataOf(volume)));
    }

    @Test
    void deletingRemovesTheDataAndThenTheResource() {
        Volume volume = createOrdinal(0, 10 * MIB);
        Path data = dataOf(volume);
        assertTrue(Files.isDirectory(data));
        controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId()).build());
        assertFalse(Files.exists(data));
        assertNull(server.createClient().resources(OrdinalVolume.class).withName(resourceName(volume)).get());
        controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId()).build());
        assertEquals(2 * 100 * MIB, capacity(Map.of()));
    }

    @Test
    void aVolumeOfANodeThatIsGoneCanStillBeDeleted() throws Exception {
        Volume volume = pinned("on-b", 10 * MIB, "node-b");
        nodes.remove("node-b").close();
        // The node is gone from the cluster: its agent no longer reports, and its OrdinalNode is removed.
        server.createClient().resources(OrdinalNode.class).withName("node-b").delete();
        await().atMost(Duration.ofSeconds(20)).until(() -> capacity(Map.of()) == 100 * MIB);
        controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId()).build());
        // The resource does not wait for an agent that will never answer; its data went with the node.
        assertNull(server.createClient().resources(OrdinalVolume.class).withName("on-b").get());
    }

    /**
     * An agent's OrdinalNode is owned by its Kubernetes Node, so that Kubernetes' garbage collector deletes it with
     * the Node and the controller stops waiting for that node's agent (as above). One made while its Node could not
     * be read (here: did not exist yet; in an upgrade: made by an older agent) gets the owner at the next report.
     */
    @Test
    void anAgentsOrdinalNodeIsOwnedByItsNodeOnceTheNodeCanBeRead() {
        KubernetesClient client = server.createClient();
        assertEquals(List.of(), client.resources(OrdinalNode.class).withName("node-a").get().getMetadata()
                .getOwnerReferences(), "no Node object yet, so no owner");
        Node node = client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-a").endMetadata()
                .build()).create();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals(
                List.of("Node/node-a/" + node.getMetadata().getUid()),
                client.resources(OrdinalNode.class).withName("node-a").get().getMetadata().getOwnerReferences()
                        .stream().map(r -> r.getKind() + "/" + r.getName() + "/" + r.getUid()).toList()));
    }

    @Test
    void snapshotsRestoresAndExpansionGoThroughTheResources() throws Exception {
        Volume volume = createOrdinal(0, 10 * MIB);
        Files.writeString(dataOf(volume).resolve("state"), "before");
        String snapshotId = controller.createSnapshot(CreateSnapshotRequest.newBuilder().setName("snap-1")
                .setSourceVolumeId(volume.getVolumeId()).build()).getSnapshot().getSnapshotId();
        Files.writeString(dataOf(volume).resolve("state"), "after");
        Volume restored = controller.createVolume(create("restored", 10 * MIB, "dir", mount("")).toBuilder()
                .setVolumeContentSource(VolumeContentSource.newBuilder().setSnapshot(
                        VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId(snapshotId))).build())
                .getVolume();
        assertEquals(nodeOf(volume), nodeOf(restored));
        assertEquals("before", Files.readString(dataOf(restored).resolve("state")));

        long grown = controller.controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                .setVolumeId(volume.getVolumeId()).setCapacityRange(CapacityRange.newBuilder()
                        .setRequiredBytes(20 * MIB)).build()).getCapacityBytes();
        assertEquals(20 * MIB, grown);
        assertEquals(20 * MIB, resource(volume).getStatus().actualSizeBytes);

        controller.deleteSnapshot(DeleteSnapshotRequest.newBuilder().setSnapshotId(snapshotId).build());
        assertTrue(server.createClient().resources(OrdinalSnapshot.class).list().getItems().isEmpty());
    }

    @Test
    void aVolumeNoResourceReferencesIsReportedAfterTheGracePeriodAndKept() throws Exception {
        DriverAssembly nodeA = nodes.get("node-a");
        LocalVolumes disks = new LocalVolumes(new NodeName("node-a"), List.of(disk("node-a")));
        // Made "a few seconds from now" (a clock ahead of the agent's): the agent waits out the grace period from
        // the creation time too, so a volume being made is never reported.
        VolumeRecord orphan = disks.create(new VolumeRecord(new VolumeId("node-a", "d1", "lost_volume_0"), "lost",
                dev.ordinal.allocator.model.Layout.DIR, Capacity.ofMiB(5), false, "", Map.of("layout", "dir"),
                ClaimRef.NONE, ContentSource.NONE, Instant.now().plusSeconds(4)));
        Path data = root.path().resolve("node-a/disks/d1/volumes/lost_volume_0/data");
        assertTrue(Files.isDirectory(data));
        NodeAgent agent = nodeA.background().stream().filter(NodeAgent.class::isInstance).map(NodeAgent.class::cast)
                .findFirst().orElseThrow();
        await().atMost(Duration.ofSeconds(20)).until(() -> agent.orphans().contains(orphan.id().toString()));
        assertEquals(0, unreferencedGauge("node-a"), "reported before its grace period was over");
        // A volume made through a resource beside it is never taken for a leak, nor is its snapshot.
        Volume kept = pinned("kept", 5 * MIB, "node-a");
        String snapshotId = controller.createSnapshot(CreateSnapshotRequest.newBuilder().setName("kept-snap")
                .setSourceVolumeId(kept.getVolumeId()).build()).getSnapshot().getSnapshotId();
        await().atMost(Duration.ofSeconds(20)).until(() -> unreferencedGauge("node-a") == 1);
        // Reported, and kept: the record may be what is missing, not the reason for the data.
        for (int pass = 0; pass < 3; pass++) {
            agent.housekeeping();
        }
        assertTrue(Files.isDirectory(data), "an unreferenced volume is never deleted by the agent");
        assertEquals(1, unreferencedGauge("node-a"));
        // An operator removes it: no longer counted, so the gauge (and OrdinalOrphansFound on it) falls without a
        // restart.
        disks.delete(orphan);
        await().atMost(Duration.ofSeconds(5)).until(() -> unreferencedGauge("node-a") == 0);
        assertTrue(Files.isDirectory(dataOf(kept)));
        assertTrue(Files.isDirectory(root.path().resolve("node-a/disks/d1/snapshots")
                .resolve(snapshotId.substring(snapshotId.lastIndexOf(':') + 1))));
    }

    @Test
    void theAgentLeavesAVolumeANodeRpcHoldsAndMakesOthersMeanwhile() throws Exception {
        Volume held = pinned("held", 10 * MIB, "node-a");
        // A NodeStage of the volume in flight on node-a: it holds the volume's lock, as the node service does. The
        // agent reports the volume Ready under that lock and lets go just after, so the stage may have to retry.
        AtomicReference<VolumeLocks.Held> staging = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(20)).ignoreException(DriverError.Aborted.class).until(() -> {
            staging.set(locks.get("node-a").acquire(held.getVolumeId(), "NodeStageVolume"));
            return true;
        });
        VolumeLocks.Held stage = staging.get();
        ControllerGrpc.ControllerBlockingStub impatient = inProcess(settings(DriverMode.CONTROLLER, "impatient",
                List.of(), Duration.ofMillis(500)));
        ControllerExpandVolumeRequest grow = ControllerExpandVolumeRequest.newBuilder()
                .setVolumeId(held.getVolumeId()).setCapacityRange(CapacityRange.newBuilder()
                        .setRequiredBytes(20 * MIB)).build();
        // The agent does not grow a volume under a node RPC; the controller's wait runs out and says retry.
        assertStatus(Status.Code.ABORTED, () -> impatient.controllerExpandVolume(grow));

        // Meanwhile the same agent makes another volume: its informer and its other workers do not wait.
        Volume other = pinned("other", 10 * MIB, "node-a");
        assertTrue(Files.isDirectory(dataOf(other)));
        assertEquals(10 * MIB, resource(held).getStatus().actualSizeBytes);

        // The RPC done, the agent grows the volume by itself, and the retried expansion finds it grown.
        stage.close();
        await().atMost(Duration.ofSeconds(20)).until(() -> resource(held).getStatus().actualSizeBytes == 20 * MIB);
        assertEquals(20 * MIB, controller.controllerExpandVolume(grow).getCapacityBytes());
    }

    private double unreferencedGauge(String node) {
        return metrics.get(node).get("ordinal.orphans").tags("node", node, "disk", "d1", "kind", "unreferenced")
                .gauge().value();
    }

    private Volume createOrdinal(int ordinal, long bytes) {
        return controller.createVolume(create("pvc-db-" + ordinal, bytes, "dir", mount("")).toBuilder()
                .putParameters("spread", "node")
                .putParameters("csi.storage.k8s.io/pvc/namespace", "shop")
                .putParameters("csi.storage.k8s.io/pvc/name", "data-db-" + ordinal).build()).getVolume();
    }

    private Volume pinned(String name, long bytes, String node) {
        return controller.createVolume(pinnedRequest(name, bytes, node)).getVolume();
    }

    private static CreateVolumeRequest pinnedRequest(String name, long bytes, String node) {
        return create(name, bytes, "dir", mount("")).toBuilder().setAccessibilityRequirements(TopologyRequirement
                .newBuilder().addRequisite(Topology.newBuilder().putSegments("topology.ordinal.csi.dev/node", node)))
                .build();
    }

    private long capacity(Map<String, String> segment) {
        GetCapacityRequest.Builder request = GetCapacityRequest.newBuilder().putParameters("layout", "dir");
        if (!segment.isEmpty()) {
            request.setAccessibleTopology(Topology.newBuilder().putAllSegments(segment));
        }
        return controller.getCapacity(request.build()).getAvailableCapacity();
    }

    private void startNode(String node) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DriverMetrics nodeMetrics = DriverMetrics.into(registry, Duration.ofMinutes(1), 1000);
        running.add(nodeMetrics);
        DriverAssembly assembly = DriverAssembly.build(settings(DriverMode.NODE, node, List.of(disk(node)),
                Duration.ofSeconds(10)), nodeMetrics);
        nodes.put(node, assembly);
        metrics.put(node, registry);
        running.add(() -> {
            DriverAssembly still = nodes.remove(node);
            if (still != null) {
                still.close();
            }
        });
    }

    private LocalDisk disk(String node) {
        return DiskSetup.open(new DiskName("d1"), root.dir(node + "/disks/d1"), Optional.of(Capacity.ofMiB(100)),
                true);
    }

    private DriverAssembly.Settings settings(DriverMode mode, String node, List<LocalDisk> disks, Duration wait) {
        VolumeLocks driverLocks = new VolumeLocks();
        locks.put(node, driverLocks);
        return new DriverAssembly.Settings(mode, new NodeName(node), disks, List.of(root.path()), Map.of(), 0,
                Capacity.ofMiB(64), "test", driverLocks,
                dev.ordinal.driver.nfs.NfsSettings.none(root.path().resolve(node + "/state")),
                Optional.of(new ClusterSettings(server.createClient(), wait, Duration.ofSeconds(1),
                        Duration.ofSeconds(1))));
    }

    /** A controller-mode driver behind the in-process transport, closed with the others after the test. */
    private ControllerGrpc.ControllerBlockingStub inProcess(DriverAssembly.Settings settings) {
        InProcessDriver driver = InProcessDriver.start(settings, DriverMetrics.disabled());
        running.add(driver);
        return driver.controller();
    }

    private static String nodeOf(Volume volume) {
        return volume.getAccessibleTopology(0).getSegmentsOrThrow("topology.ordinal.csi.dev/node");
    }

    private Path dataOf(Volume volume) {
        String[] parts = volume.getVolumeId().split(":");
        return root.path().resolve(parts[1] + "/disks/" + parts[2] + "/volumes/" + parts[3] + "/data");
    }

    private OrdinalVolume resource(Volume volume) {
        return server.createClient().resources(OrdinalVolume.class).withName(resourceName(volume)).get();
    }

    private OrdinalVolume resourceNamed(String name) {
        return server.createClient().resources(OrdinalVolume.class).withName(name).get();
    }

    private String resourceName(Volume volume) {
        return server.createClient().resources(OrdinalVolume.class).list().getItems().stream()
                .filter(r -> r.getSpec().volumeId.equals(volume.getVolumeId()))
                .map(r -> r.getMetadata().getName()).findFirst().orElse("none");
    }
}
