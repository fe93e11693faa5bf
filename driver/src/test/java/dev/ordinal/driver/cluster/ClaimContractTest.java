package dev.ordinal.driver.cluster;

import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.assertStatus;
import static dev.ordinal.driver.support.Csi.create;
import static dev.ordinal.driver.support.Csi.mount;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.contract.crd.OrdinalVolume;
import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.GetCapacityRequest;
import dev.ordinal.csi.v1.Topology;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.driver.DriverAssembly;
import dev.ordinal.driver.DriverMode;
import dev.ordinal.driver.local.DiskSetup;
import dev.ordinal.driver.metrics.DriverMetrics;
import dev.ordinal.driver.nfs.NfsExport;
import dev.ordinal.driver.nfs.NfsSettings;
import dev.ordinal.driver.nfs.UsageCache;
import dev.ordinal.driver.support.ClusterRecords;
import dev.ordinal.driver.support.InProcessDriver;
import dev.ordinal.driver.support.TestRoot;
import dev.ordinal.driver.volume.VolumeLocks;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatusBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Status;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The driver's side of the contract with the companion controller (issue 7), end to end: real CreateVolume calls
 * to a controller-mode driver, two node agents making the volumes, and the claims, StatefulSets and
 * PersistentVolumes in Quarkus' Kubernetes test server (CRUD mode) as the companion controller leaves them.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class ClaimContractTest {

    private static final String NFS_SERVER = "nas.example.com";
    private static final String NFS_SHARE = "/srv/k8s";

    private static final String NS = "shop";
    private static final String ORDINAL = "ordinal.csi.dev/ordinal";
    private static final String STATEFUL_SET = "ordinal.csi.dev/statefulset";
    private static final String TEMPLATE = "ordinal.csi.dev/claim-template";
    private static final String NAMESPACE = "ordinal.csi.dev/namespace";

    @KubernetesTestServer
    KubernetesServer kubernetes;
    private KubernetesClient client;
    private TestRoot root;
    private final List<AutoCloseable> running = new ArrayList<>();

    @BeforeEach
    void start() {
        client = kubernetes.getKubernetesMockServer().createClient();
        root = TestRoot.create("claims");
        for (String node : List.of("node-a", "node-b")) {
            running.add(DriverAssembly.build(settings(DriverMode.NODE, node)));
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
        running.clear();
        ClusterRecords.deleteAll(client);
        client.persistentVolumes().delete();
        client.persistentVolumeClaims().inNamespace(NS).delete();
        client.apps().statefulSets().inNamespace(NS).delete();
        root.close();
    }

    @Test
    void aStatefulSetClaimsOrdinalIsRecordedInTheVolumeContextAndTheOrdinalVolume() throws Exception {
        // "data-my-web-1" reads as template data of my-web, or template data-my of web: both exist here.
        statefulSet("my-web", Map.of(), "data");
        statefulSet("web", Map.of(), "data-my");
        claim("data-my-web-1", Map.of(), "Pending", Optional.of("web"));
        claim("data-my-web-2", Map.of(), "Pending", Optional.empty());
        claim("scratch", Map.of(), "Pending", Optional.empty());
        ControllerGrpc.ControllerBlockingStub controller = controller();

        Volume owned = controller.createVolume(request("data-my-web-1", 10 * MIB, Map.of())).getVolume();
        assertEquals(Map.of(NAMESPACE, NS, STATEFUL_SET, "web", TEMPLATE, "data-my", ORDINAL, "1"),
                identityOf(owned), "the owner reference decides between the readings");
        OrdinalVolume.Identity recorded = resource(owned).getSpec().identity;
        assertEquals(List.of(NS, "web", "data-my", 1), List.of(recorded.namespace, recorded.statefulSet,
                recorded.claimTemplate, recorded.ordinal));
        // The node's metadata next to the data says it too, for an operator reading the disk.
        String[] id = owned.getVolumeId().split(":");
        String metadata = Files.readString(root.path().resolve(id[1] + "/disks/" + id[2] + "/volumes/" + id[3]
                + "/volume.properties"));
        assertTrue(metadata.contains("identity.ordinal.csi.dev/statefulset=web")
                && metadata.contains("identity.ordinal.csi.dev/ordinal=1"), metadata);

        Volume read = controller.createVolume(request("data-my-web-2", 10 * MIB, Map.of())).getVolume();
        assertEquals(Map.of(NAMESPACE, NS, STATEFUL_SET, "my-web", TEMPLATE, "data", ORDINAL, "2"),
                identityOf(read), "without an owner, the shortest template that exists");

        Volume plain = controller.createVolume(request("scratch", 10 * MIB, Map.of())).getVolume();
        assertEquals(Map.of(), identityOf(plain));
        assertNull(resource(plain).getSpec().identity);
    }

    @Test
    void orderedBindingWaitsForTheLowestUnboundOrdinalThenProceedsOnceAdmitted() {
        statefulSet("web", Map.of(), "data");
        claim("data-web-0", Map.of(), "Bound", Optional.empty());
        claim("data-web-1", Map.of(), "Pending", Optional.empty());
        claim("data-web-2", Map.of(), "Pending", Optional.empty());
        statefulSet("db", Map.of("ordinal.csi.dev/ordered-binding", "true"), "data");
        claim("data-db-0", Map.of(), "Pending", Optional.empty());
        ControllerGrpc.ControllerBlockingStub controller = controller();
        Map<String, String> ordered = Map.of("orderedBinding", "true");

        String waiting = assertStatus(Status.Code.ABORTED,
                () -> controller.createVolume(request("data-web-2", 10 * MIB, ordered)));
        assertTrue(waiting.contains("claim shop/data-web-2 is ordinal 2 of StatefulSet shop/web")
                && waiting.contains("waiting for ordinal 1 (claim shop/data-web-1 is Pending)"), waiting);

        setPhase("data-web-1", "Bound");
        String notAdmitted = assertStatus(Status.Code.ABORTED,
                () -> controller.createVolume(request("data-web-2", 10 * MIB, ordered)));
        assertTrue(notAdmitted.contains("ordinals 0 to 1 are Bound; the companion controller has not admitted it yet"),
                notAdmitted);

        // The StatefulSet's annotation asks for ordered binding whatever the StorageClass says; ordinal 0 too
        // waits for the controller.
        String first = assertStatus(Status.Code.ABORTED,
                () -> controller.createVolume(request("data-db-0", 10 * MIB, Map.of())));
        assertTrue(first.contains("StatefulSet annotation ordinal.csi.dev/ordered-binding=true")
                && first.contains("ordinal 0 is the first; it is admitted only by the companion controller"), first);
        assertTrue(client.resources(OrdinalVolume.class).list().getItems().isEmpty(), "nothing made while waiting");

        annotate("data-web-2", "ordinal.csi.dev/admitted", "true");
        annotate("data-db-0", "ordinal.csi.dev/admitted", "true");
        Volume web2 = controller.createVolume(request("data-web-2", 10 * MIB, ordered)).getVolume();
        assertEquals("2", identityOf(web2).get(ORDINAL));
        Volume db0 = controller.createVolume(request("data-db-0", 10 * MIB, Map.of())).getVolume();
        assertEquals("db", identityOf(db0).get(STATEFUL_SET));

        // Without the claim's name (no --extra-create-metadata) the order cannot be known.
        String blind = assertStatus(Status.Code.FAILED_PRECONDITION, () -> controller.createVolume(
                create("pvc-anonymous", 10 * MIB, "dir", mount("")).toBuilder().putAllParameters(ordered).build()));
        assertTrue(blind.contains("--extra-create-metadata"), blind);
    }

    @Test
    void aReleasedRetainedVolumeOfTheOrdinalHoldsItsClaimUntilTheControllerSkipsTheRebind() {
        statefulSet("web", Map.of(), "data");
        claim("data-web-1", Map.of(), "Pending", Optional.empty());
        claim("data-web-2", Map.of(), "Pending", Optional.empty());
        persistentVolume("pv-x", identity("web", "data", 1), "Released", "Retain");
        // Released but deleted with its claim: no data to wait for.
        persistentVolume("pv-gone", identity("web", "data", 2), "Released", "Delete");
        ControllerGrpc.ControllerBlockingStub controller = controller();

        String held = assertStatus(Status.Code.ABORTED,
                () -> controller.createVolume(request("data-web-1", 10 * MIB, Map.of())));
        assertTrue(held.contains("claim shop/data-web-1 is ordinal 1 of StatefulSet shop/web; the Released volume "
                + "pv-x holds its data: waiting for the companion controller to bind it"), held);
        controller.createVolume(request("data-web-2", 10 * MIB, Map.of()));

        // The controller decided not to rebind (size or class mismatch): a new volume may be made.
        annotate("data-web-1", "ordinal.csi.dev/rebind", "skipped");
        Volume fresh = controller.createVolume(request("data-web-1", 10 * MIB, Map.of())).getVolume();
        assertEquals("1", identityOf(fresh).get(ORDINAL));
    }

    @Test
    void aRetainedVolumeStillBoundToTheDeletedClaimOfTheOrdinalHoldsTheClaimMadeAgain() {
        statefulSet("web", Map.of(), "data");
        claim("data-web-1", Map.of(), "Pending", Optional.empty());
        claim("data-web-2", Map.of(), "Pending", Optional.empty());
        // data-web-1 was deleted and made again before the PV controller released its volume: the volume is still
        // Bound to the deleted claim's uid. (Seen end to end in e2e's StatefulSetVolumesTest.)
        persistentVolume("pv-old", identity("web", "data", 1), "Bound", "Retain", "data-web-1", "uid-deleted");
        // Bound by an administrator to a claim of another name: not data-web-2's to wait for.
        persistentVolume("pv-lent", identity("web", "data", 2), "Bound", "Retain", "inspect-web-2", "uid-inspect");
        ControllerGrpc.ControllerBlockingStub controller = controller();

        String held = assertStatus(Status.Code.ABORTED,
                () -> controller.createVolume(request("data-web-1", 10 * MIB, Map.of())));
        assertTrue(held.contains("claim shop/data-web-1 is ordinal 1 of StatefulSet shop/web; the volume pv-old holds "
                + "its data and is still Bound to the deleted claim of that name (uid uid-deleted), until the PV "
                + "controller releases it: waiting for the companion controller to bind it"), held);
        assertEquals("2", identityOf(controller.createVolume(request("data-web-2", 10 * MIB, Map.of())).getVolume())
                .get(ORDINAL));
    }

    @Test
    void aClaimTheCompanionAlreadyRebindsGetsNoSecondVolume() {
        statefulSet("web", Map.of(), "data");
        claim("data-web-1", Map.of(), "Pending", Optional.empty());
        String uid = client.persistentVolumeClaims().inNamespace(NS).withName("data-web-1").get().getMetadata()
                .getUid();
        // The companion controller has pointed the retained volume at the claim made again; csi-provisioner read
        // the claim before that and still asks for a volume. (Seen against the real csi-provisioner: e2e's
        // RealKubernetesTest left a second, unbound volume behind before this check.)
        persistentVolume("pv-kept", identity("web", "data", 1), "Bound", "Retain", "data-web-1", uid);
        ControllerGrpc.ControllerBlockingStub controller = controller();

        String held = assertStatus(Status.Code.ABORTED,
                () -> controller.createVolume(request("data-web-1", 10 * MIB, Map.of())));
        assertTrue(held.contains("claim shop/data-web-1 is ordinal 1 of StatefulSet shop/web; the volume pv-kept, "
                + "which holds its data, is already being bound to this claim (its claimRef names uid " + uid
                + "): no second volume is made"), held);
    }

    @Test
    void theControllersPlacementIsHonouredAndAFullDiskIsRefusedWithNumbers() {
        claim("scratch-1", Map.of("ordinal.csi.dev/placement", "node-b/d1"), "Pending", Optional.empty());
        claim("scratch-2", Map.of("ordinal.csi.dev/placement", "node-b/d1"), "Pending", Optional.empty());
        claim("big", Map.of("ordinal.csi.dev/placement", "node-a/d1"), "Pending", Optional.empty());
        claim("more", Map.of("ordinal.csi.dev/placement", "node-a/d1"), "Pending", Optional.empty());
        claim("nowhere", Map.of("ordinal.csi.dev/placement", "node-a/d9"), "Pending", Optional.empty());
        ControllerGrpc.ControllerBlockingStub controller = controller();

        // Left to itself (fitPolicy spread) the driver would put the second volume on the emptier node-a.
        assertEquals("node-b", nodeOf(controller.createVolume(request("scratch-1", 10 * MIB, Map.of())).getVolume()));
        assertEquals("node-b", nodeOf(controller.createVolume(request("scratch-2", 10 * MIB, Map.of())).getVolume()));

        assertEquals("node-a", nodeOf(controller.createVolume(request("big", 90 * MIB, Map.of())).getVolume()));
        String full = assertStatus(Status.Code.RESOURCE_EXHAUSTED,
                () -> controller.createVolume(request("more", 20 * MIB, Map.of())));
        assertTrue(full.contains("claim shop/more is placed on node-a/d1 by the companion controller")
                && full.contains("node node-a disk d1 has 10 MiB free, 20 MiB asked"), full);

        String unknown = assertStatus(Status.Code.INVALID_ARGUMENT,
                () -> controller.createVolume(request("nowhere", 10 * MIB, Map.of())));
        assertTrue(unknown.contains("node node-a reports no disk d9 (asked 10 MiB)"), unknown);
    }

    @Test
    void aRetryAfterTheAnnotationsChangedAnswersTheSameVolume() throws Exception {
        statefulSet("web", Map.of(), "data");
        claim("data-web-0", Map.of("ordinal.csi.dev/admitted", "true", "ordinal.csi.dev/placement", "node-b/d1"),
                "Pending", Optional.empty());
        ControllerGrpc.ControllerBlockingStub controller = controller();
        Map<String, String> ordered = Map.of("orderedBinding", "true");
        Volume made = controller.createVolume(request("data-web-0", 10 * MIB, ordered)).getVolume();
        assertEquals("node-b", nodeOf(made));

        // Everything that decided the first call now says otherwise: not admitted, placed elsewhere (on a disk
        // that does not exist), and a Released volume of the same ordinal has appeared.
        PersistentVolumeClaim claim = client.persistentVolumeClaims().inNamespace(NS).withName("data-web-0").get();
        claim.getMetadata().setAnnotations(Map.of("ordinal.csi.dev/placement", "node-a/d9"));
        client.resource(claim).update();
        persistentVolume("pv-old", identity("web", "data", 0), "Released", "Retain");

        assertEquals(made, controller.createVolume(request("data-web-0", 10 * MIB, ordered)).getVolume());
        // A restarted controller knows the volume from its OrdinalVolume alone, and answers the same.
        ControllerGrpc.ControllerBlockingStub restarted = controller();
        assertEquals(made, restarted.createVolume(request("data-web-0", 10 * MIB, ordered)).getVolume());
    }

    @Test
    void nfsVolumesCarryTheOrdinalAndObeyTheSameRules() throws Exception {
        statefulSet("web", Map.of(), "data");
        claim("data-web-0", Map.of(), "Pending", Optional.empty());
        claim("data-web-1", Map.of(), "Pending", Optional.empty());
        ControllerGrpc.ControllerBlockingStub controller = controller();
        Map<String, String> ordered = Map.of("orderedBinding", "true");

        String waiting = assertStatus(Status.Code.ABORTED,
                () -> controller.createVolume(nfsRequest("data-web-1", ordered)));
        assertTrue(waiting.contains("waiting for ordinal 0 (claim shop/data-web-0 is Pending)"), waiting);
        annotate("data-web-0", "ordinal.csi.dev/admitted", "true");
        Volume first = controller.createVolume(nfsRequest("data-web-0", ordered)).getVolume();
        assertEquals(identity("web", "data", 0), identityOf(first));
        assertTrue(first.getVolumeId().startsWith("nfs#"), first.getVolumeId());
        // Kept in the volume's metadata on the export, so a restarted controller answers the same context.
        try (var files = Files.list(root.path().resolve("export/.ordinal/volumes"))) {
            String metadata = Files.readString(files.filter(f -> f.toString().endsWith(".properties")).findFirst()
                    .orElseThrow());
            assertTrue(metadata.contains("identity.ordinal.csi.dev/statefulset=web"), metadata);
        }
        assertEquals(first, controller().createVolume(nfsRequest("data-web-0", ordered)).getVolume(),
                "a retry to a fresh controller answers the same volume, identity included");

        // A Released NFS volume of ordinal 1 holds its re-created claim too (a non-ordered class now).
        // Asked of a controller started after the volume exists: a running one learns of new volumes through its
        // informer, a moment later than this test's next line (in a cluster the claim is re-created long after).
        persistentVolume("pv-nfs-1", identity("web", "data", 1), "Released", "Retain");
        ControllerGrpc.ControllerBlockingStub later = controller();
        String held = assertStatus(Status.Code.ABORTED, () -> later.createVolume(nfsRequest("data-web-1", Map.of())));
        assertTrue(held.contains("the Released volume pv-nfs-1 holds its data"), held);
    }

    private CreateVolumeRequest nfsRequest(String claim, Map<String, String> parameters) {
        return create("pvc-" + claim, 10 * MIB, "dir", mount("")).toBuilder().clearParameters()
                .putParameters("server", NFS_SERVER).putParameters("share", NFS_SHARE)
                .putAllParameters(parameters)
                .putParameters("csi.storage.k8s.io/pvc/namespace", NS)
                .putParameters("csi.storage.k8s.io/pvc/name", claim)
                .putParameters("csi.storage.k8s.io/pv/name", "pvc-" + claim)
                .build();
    }

    private CreateVolumeRequest request(String claim, long bytes, Map<String, String> parameters) {
        return create("pvc-" + claim, bytes, "dir", mount("")).toBuilder()
                .putAllParameters(parameters)
                .putParameters("csi.storage.k8s.io/pvc/namespace", NS)
                .putParameters("csi.storage.k8s.io/pvc/name", claim)
                .putParameters("csi.storage.k8s.io/pv/name", "pvc-" + claim)
                .build();
    }

    private static Map<String, String> identity(String statefulSet, String template, int ordinal) {
        Map<String, String> identity = new LinkedHashMap<>();
        identity.put(NAMESPACE, NS);
        identity.put(STATEFUL_SET, statefulSet);
        identity.put(TEMPLATE, template);
        identity.put(ORDINAL, Integer.toString(ordinal));
        return identity;
    }

    private static Map<String, String> identityOf(Volume volume) {
        Map<String, String> identity = new HashMap<>(volume.getVolumeContextMap());
        identity.keySet().removeIf(key -> !key.startsWith("ordinal.csi.dev/"));
        return identity;
    }

    private void statefulSet(String name, Map<String, String> annotations, String... templates) {
        StatefulSetBuilder set = new StatefulSetBuilder().withNewMetadata().withNamespace(NS).withName(name)
                .withAnnotations(annotations).endMetadata()
                .withNewSpec().withServiceName(name).withReplicas(3).endSpec();
        for (String template : templates) {
            set.editSpec().addNewVolumeClaimTemplate().withNewMetadata().withName(template).endMetadata()
                    .withNewSpec().withAccessModes("ReadWriteOnce").withStorageClassName("ordinal")
                    .endSpec().endVolumeClaimTemplate().endSpec();
        }
        StatefulSet built = set.build();
        client.apps().statefulSets().inNamespace(NS).resource(built).create();
    }

    private void claim(String name, Map<String, String> annotations, String phase, Optional<String> owner) {
        PersistentVolumeClaimBuilder claim = new PersistentVolumeClaimBuilder().withNewMetadata().withNamespace(NS)
                .withName(name).withAnnotations(annotations).endMetadata()
                .withNewSpec().withAccessModes("ReadWriteOnce").withStorageClassName("ordinal")
                .withNewResources().withRequests(Map.of("storage", new Quantity("10Mi"))).endResources().endSpec()
                .withStatus(new PersistentVolumeClaimStatusBuilder().withPhase(phase).build());
        owner.ifPresent(set -> claim.editMetadata().withOwnerReferences(new OwnerReferenceBuilder()
                .withApiVersion("apps/v1").withKind("StatefulSet").withName(set).withUid("uid-" + set)
                .withController(true).build()).endMetadata());
        client.persistentVolumeClaims().inNamespace(NS).resource(claim.build()).create();
    }

    private void setPhase(String claim, String phase) {
        PersistentVolumeClaim current = client.persistentVolumeClaims().inNamespace(NS).withName(claim).get();
        current.setStatus(new PersistentVolumeClaimStatusBuilder().withPhase(phase).build());
        client.resource(current).updateStatus();
    }

    private void annotate(String claim, String key, String value) {
        client.persistentVolumeClaims().inNamespace(NS).withName(claim)
                .edit(c -> new PersistentVolumeClaimBuilder(c).editMetadata().addToAnnotations(key, value)
                        .endMetadata().build());
    }

    private void persistentVolume(String name, Map<String, String> attributes, String phase, String policy) {
        persistentVolume(name, attributes, phase, policy, null, null);
    }

    /** A volume with a claimRef to {@code claim} (in NS) of that uid; none when {@code claim} is null. */
    private void persistentVolume(String name, Map<String, String> attributes, String phase, String policy,
            String claim, String claimUid) {
        PersistentVolumeBuilder volume = new PersistentVolumeBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withPersistentVolumeReclaimPolicy(policy)
                .withCapacity(Map.of("storage", new Quantity("10Mi")))
                .withNewCsi().withDriver("ordinal.csi.dev").withVolumeHandle("local:node-a:d1:" + name)
                .withVolumeAttributes(attributes).endCsi().endSpec()
                .withStatus(new PersistentVolumeStatusBuilder().withPhase(phase).build());
        if (claim != null) {
            volume.editSpec().withNewClaimRef().withApiVersion("v1").withKind("PersistentVolumeClaim")
                    .withNamespace(NS).withName(claim).withUid(claimUid).endClaimRef().endSpec();
        }
        client.persistentVolumes().resource(volume.build()).create();
    }

    /** A controller-mode driver, started now: it sees what the cluster holds at this moment. */
    private ControllerGrpc.ControllerBlockingStub controller() {
        InProcessDriver controllerMode = InProcessDriver.start(settings(DriverMode.CONTROLLER, "controller"),
                DriverMetrics.disabled());
        running.add(controllerMode);
        ControllerGrpc.ControllerBlockingStub stub = controllerMode.controller();
        // Both node agents have reported their disks.
        await().atMost(Duration.ofSeconds(20)).until(() -> List.of("node-a", "node-b").stream()
                .allMatch(node -> stub.getCapacity(GetCapacityRequest.newBuilder().putParameters("layout", "dir")
                        .setAccessibleTopology(Topology.newBuilder()
                                .putSegments("topology.ordinal.csi.dev/node", node))
                        .build()).getAvailableCapacity() > 0));
        return stub;
    }

    private DriverAssembly.Settings settings(DriverMode mode, String node) {
        return new DriverAssembly.Settings(mode, new NodeName(node),
                mode == DriverMode.NODE ? List.of(DiskSetup.open(new DiskName("d1"), root.dir(node + "/disks/d1"),
                        Optional.of(Capacity.ofMiB(100)), true)) : List.of(),
                List.of(root.path()), Map.of(), 0, Capacity.ofMiB(64), "test", new VolumeLocks(),
                mode == DriverMode.CONTROLLER
                        ? new NfsSettings(List.of(NfsExport.parse(NFS_SERVER + ":" + NFS_SHARE + "=" + root.dir("export"))),
                                NfsSettings.NodeMount.BIND, root.path().resolve(node + "/state"), UsageCache.Limits.DEFAULT,
                                Runnable::run)
                        : NfsSettings.none(root.path().resolve(node + "/state")),
                Optional.of(new ClusterSettings(client, Duration.ofSeconds(10), Duration.ofSeconds(1),
                        Duration.ofSeconds(1))));
    }

    private static String nodeOf(Volume volume) {
        return volume.getAccessibleTopology(0).getSegmentsOrThrow("topology.ordinal.csi.dev/node");
    }

    private OrdinalVolume resource(Volume volume) {
        return client.resources(OrdinalVolume.class).list().getItems().stream()
                .filter(r -> r.getSpec().volumeId.equals(volume.getVolumeId())).findFirst().orElseThrow();
    }
}
