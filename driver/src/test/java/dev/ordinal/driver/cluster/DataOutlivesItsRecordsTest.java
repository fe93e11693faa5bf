package dev.ordinal.driver.cluster;

import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.create;
import static dev.ordinal.driver.support.Csi.mount;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.contract.crd.OrdinalNode;
import dev.ordinal.contract.crd.OrdinalSnapshot;
import dev.ordinal.contract.crd.OrdinalVolume;
import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.CreateSnapshotRequest;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.driver.DriverAssembly;
import dev.ordinal.driver.DriverMode;
import dev.ordinal.driver.local.DiskSetup;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.metrics.DriverMetrics;
import dev.ordinal.driver.support.ClusterRecords;
import dev.ordinal.driver.support.InProcessDriver;
import dev.ordinal.driver.support.TestRoot;
import dev.ordinal.driver.volume.VolumeLocks;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a node agent does with data whose records vanish without a DeleteVolume, as when someone deletes the
 * OrdinalVolume CRD while the agents run (the API server then deletes every OrdinalVolume; here they are deleted
 * directly, as the Kubernetes test server in CRUD mode has no CRDs to cascade from): it keeps the data and the
 * finalizer and reports the refusal; once the finalizer is removed by hand the data stays, reported as
 * unreferenced; and the controller's audit reports the PersistentVolumes left without their records. One node
 * agent and one controller-mode driver in this JVM, each with its metrics as /q/metrics would show them.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class DataOutlivesItsRecordsTest {

    private static final Duration GRACE = Duration.ofSeconds(1);

    @KubernetesTestServer
    KubernetesServer kubernetes;
    private KubernetesMockServer server;
    private KubernetesClient client;
    private TestRoot root;
    private final List<AutoCloseable> running = new ArrayList<>();
    private final SimpleMeterRegistry nodeMetrics = new SimpleMeterRegistry();
    private final SimpleMeterRegistry controllerMetrics = new SimpleMeterRegistry();
    private ControllerGrpc.ControllerBlockingStub controller;

    @BeforeEach
    void start() throws Exception {
        server = kubernetes.getKubernetesMockServer();
        client = server.createClient();
        root = TestRoot.create("records");
        LocalDisk disk = DiskSetup.open(new DiskName("d1"), root.dir("node-a/disks/d1"),
                Optional.of(Capacity.ofMiB(100)), true);
        running.add(DriverAssembly.build(settings(DriverMode.NODE, "node-a", List.of(disk)),
                metrics(nodeMetrics)));
        InProcessDriver controllerMode = InProcessDriver.start(settings(DriverMode.CONTROLLER, "controller",
                List.of()), metrics(controllerMetrics));
        running.add(controllerMode);
        controller = controllerMode.controller();
        await().atMost(Duration.ofSeconds(20)).until(() -> client.resources(OrdinalNode.class).withName("node-a")
                .get() != null);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
        running.clear();
        ClusterRecords.deleteAll(client);
        client.persistentVolumes().delete();
        client.v1().events().inAnyNamespace().delete();
        root.close();
    }

    @Test
    void recordsDeletedWithoutDeleteVolumeLeaveTheDataWhereItIs() throws Exception {
        Volume kept = volume("kept");
        Volume released = volume("released");
        Files.writeString(dataOf(kept).resolve("state"), "still here");
        Files.writeString(dataOf(released).resolve("state"), "still here");
        String snapshotId = controller.createSnapshot(CreateSnapshotRequest.newBuilder().setName("kept-snap")
                .setSourceVolumeId(kept.getVolumeId()).build()).getSnapshot().getSnapshotId();
        Path snapshotDir = root.path().resolve("node-a/disks/d1/snapshots")
                .resolve(snapshotId.substring(snapshotId.lastIndexOf(':') + 1));
        assertTrue(Files.isDirectory(snapshotDir));

        // What deleting the CRDs does first: every resource of them deleted, none by the driver.
        client.resources(OrdinalVolume.class).delete();
        client.resources(OrdinalSnapshot.class).delete();

        await().atMost(Duration.ofSeconds(20)).until(() -> orphans("deletion_refused") == 3);
        assertEquals(3, events("DeletionRefused").size(), "one Event on each resource: " + events("DeletionRefused"));
        assertEquals("still here", Files.readString(dataOf(kept).resolve("state")));
        assertEquals("still here", Files.readString(dataOf(released).resolve("state")));
        assertTrue(Files.isDirectory(snapshotDir));
        for (OrdinalVolume resource : client.resources(OrdinalVolume.class).list().getItems()) {
            assertNotNull(resource.getMetadata().getDeletionTimestamp());
            assertEquals(List.of(OrdinalVolume.FINALIZER), resource.getMetadata().getFinalizers(),
                    "the finalizer holds the resource (and a deleted CRD) until someone decides");
        }

        // The controller's DeleteVolume, retried by the sidecar, is a deletion the driver asked for: data goes.
        controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(released.getVolumeId()).build());
        assertFalse(Files.exists(dataOf(released)));
        assertNull(client.resources(OrdinalVolume.class).withName(resourceName(released)).get());
        await().atMost(Duration.ofSeconds(20)).until(() -> orphans("deletion_refused") == 2);

        // An operator lets the rest go by removing the finalizers: the resources go, the data stays, reported as
        // unreferenced once the grace period is over, and never deleted for it.
        for (OrdinalVolume resource : client.resources(OrdinalVolume.class).list().getItems()) {
            resource.getMetadata().setFinalizers(List.of());
            client.resource(resource).update();
        }
        for (OrdinalSnapshot resource : client.resources(OrdinalSnapshot.class).list().getItems()) {
            resource.getMetadata().setFinalizers(List.of());
            client.resource(resource).update();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> orphans("deletion_refused") == 0
                && orphans("unreferenced") == 2);
        assertEquals(2, events("OrphanFound").size(), "one Event for the volume, one for the snapshot");
        NodeAgent agent = agent();
        for (int pass = 0; pass < 3; pass++) {
            agent.housekeeping();
        }
        assertEquals("still here", Files.readString(dataOf(kept).resolve("state")));
        assertTrue(Files.isDirectory(snapshotDir));
        assertEquals(2, orphans("unreferenced"));
    }

    @Test
    void persistentVolumesAndOrdinalVolumesAreComparedBothWaysAfterTheGracePeriod() {
        Volume made = volume("made");
        // No PV yet (external-provisioner would write it after CreateVolume): reported once the grace is over.
        await().atMost(Duration.ofSeconds(20)).until(() -> unmatched("volume_without_pv") == 1);
        assertEquals(resourceName(made), events("PersistentVolumeMissing").get(0).getInvolvedObject().getName());
        persistentVolume("pv-made", made.getVolumeId());
        await().atMost(Duration.ofSeconds(20)).until(() -> unmatched("volume_without_pv") == 0);

        // A PV whose record is gone, and a PV of another backend (NFS volumes have no OrdinalVolume).
        persistentVolume("pv-ghost", "local:node-a:d1:ghost");
        persistentVolume("pv-nfs", "nfs:exports:ghost");
        await().atMost(Duration.ofSeconds(20)).until(() -> unmatched("pv_without_volume") == 1);
        Event missing = events("VolumeRecordMissing").get(0);
        assertEquals("PersistentVolume", missing.getInvolvedObject().getKind());
        assertEquals("pv-ghost", missing.getInvolvedObject().getName());

        // Its record deleted by hand (finalizer and all): the PV lacks its volume; the data is still on the node.
        OrdinalVolume record = client.resources(OrdinalVolume.class).withName(resourceName(made)).get();
        record.getMetadata().setFinalizers(List.of());
        client.resource(record).update();
        client.resource(record).delete();
        await().atMost(Duration.ofSeconds(20)).until(() -> unmatched("pv_without_volume") == 2);
        assertTrue(Files.isDirectory(dataOf(made)));
        client.persistentVolumes().withName("pv-ghost").delete();
        await().atMost(Duration.ofSeconds(20)).until(() -> unmatched("pv_without_volume") == 1);
    }

    @Test
    void aControllerReplicaThatDoesNotLeadReportsNoMismatch() {
        persistentVolume("pv-ghost", "local:node-a:d1:ghost");
        // A second replica, not leading, with no grace at all: it audits and reports nothing.
        try (ClusterClaims volumes = new ClusterClaims(client).start();
                PersistentVolumeAudit follower = new PersistentVolumeAudit(client, volumes, Duration.ofHours(1),
                        Duration.ZERO, Clock.systemUTC(), () -> false)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> !volumes.driverVolumes().isEmpty());
            follower.audit();
            follower.audit();
            assertEquals(0, follower.reported(PersistentVolumeAudit.Mismatch.PV_WITHOUT_VOLUME));
        }
        // The leading one (this test's controller) reports it, once: one Event, not one per replica.
        await().atMost(Duration.ofSeconds(20)).until(() -> unmatched("pv_without_volume") == 1);
        assertEquals(1, events("VolumeRecordMissing").size());
    }

    private Volume volume(String name) {
        return controller.createVolume(create(name, 5 * MIB, "dir", mount(""))).getVolume();
    }

    private void persistentVolume(String name, String handle) {
        client.persistentVolumes().resource(new PersistentVolumeBuilder().withNewMetadata().withName(name)
                .endMetadata().withNewSpec().withCapacity(Map.of("storage", new Quantity("5Mi")))
                .withAccessModes("ReadWriteOnce").withNewCsi().withDriver("ordinal.csi.dev")
                .withVolumeHandle(handle).endCsi().endSpec().build()).create();
    }

    private double orphans(String kind) {
        return nodeMetrics.get("ordinal.orphans").tags("node", "node-a", "disk", "d1", "kind", kind).gauge()
                .value();
    }

    private double unmatched(String kind) {
        return controllerMetrics.get("ordinal.unmatched.volumes").tags("kind", kind).gauge().value();
    }

    private List<Event> events(String reason) {
        return client.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> reason.equals(e.getReason())).toList();
    }

    private NodeAgent agent() {
        return running.stream().filter(DriverAssembly.class::isInstance).map(DriverAssembly.class::cast)
                .flatMap(a -> a.background().stream()).filter(NodeAgent.class::isInstance)
                .map(NodeAgent.class::cast).findFirst().orElseThrow();
    }

    private DriverMetrics metrics(SimpleMeterRegistry registry) {
        DriverMetrics metrics = DriverMetrics.into(registry, Duration.ofMinutes(1), 1000);
        running.add(metrics);
        return metrics;
    }

    private DriverAssembly.Settings settings(DriverMode mode, String node, List<LocalDisk> disks) {
        return new DriverAssembly.Settings(mode, new NodeName(node), disks, List.of(root.path()), Map.of(), 0,
                Capacity.ofMiB(64), "test", new VolumeLocks(),
                dev.ordinal.driver.nfs.NfsSettings.none(root.path().resolve(node + "/state")),
                Optional.of(new ClusterSettings(client, Duration.ofSeconds(10), Duration.ofSeconds(1), GRACE)));
    }

    private Path dataOf(Volume volume) {
        String[] parts = volume.getVolumeId().split(":");
        return root.path().resolve(parts[1] + "/disks/" + parts[2] + "/volumes/" + parts[3] + "/data");
    }

    private String resourceName(Volume volume) {
        return client.resources(OrdinalVolume.class).list().getItems().stream()
                .filter(r -> r.getSpec().volumeId.equals(volume.getVolumeId()))
                .map(r -> r.getMetadata().getName()).findFirst().orElse("none");
    }
}
