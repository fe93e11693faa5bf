package dev.ordinal.controller.kube;

import dev.ordinal.controller.kube.cache.PersistentVolumes;
import static dev.ordinal.controller.kube.ClusterFixtures.apply;
import static dev.ordinal.controller.kube.ClusterFixtures.awaitLeader;
import static dev.ordinal.controller.kube.ClusterFixtures.emulators;
import static dev.ordinal.controller.kube.ClusterFixtures.eventMessages;
import static dev.ordinal.controller.kube.ClusterFixtures.namespace;
import static dev.ordinal.controller.kube.ClusterFixtures.ordinalClass;
import static dev.ordinal.controller.kube.ClusterFixtures.readyNode;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.ordinal.contract.claim.VolumeIdentity;
import dev.ordinal.controller.ControllerRuntime;
import dev.ordinal.controller.kube.StatefulSetControllerEmulator.Template;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Volumes follow their ordinal, against the Kubernetes test server in CRUD mode, with the test's stand-ins for the
 * StatefulSet controller and scheduler, external-provisioner with the driver, and the PersistentVolume controller
 * ({@link EmulatorLoop}). The data proof at this level is the volumeHandle: the same handle is the same directory on
 * the same disk of the same node.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class RebindClusterTest {

    static final Duration WAIT = Duration.ofSeconds(15);
    static final String RETAIN = "ordinal-retain";
    static final String SLOW = "ordinal-retain-slow";

    @KubernetesTestServer
    KubernetesServer kubernetes;

    @Inject
    ControllerRuntime runtime;

    @Inject
    MeterRegistry registry;

    private KubernetesClient client;
    private String namespace;
    private StatefulSetControllerEmulator sets;
    private EmulatorLoop emulators;

    @BeforeEach
    void setUp() {
        client = kubernetes.getKubernetesMockServer().createClient();
        namespace = namespace("r");
        for (String name : List.of(RETAIN, SLOW)) {
            apply(client, ordinalClass(name).withReclaimPolicy("Retain").build());
        }
        readyNode(client, namespace + "-a");
        sets = new StatefulSetControllerEmulator(client, namespace);
        emulators = emulators(client, namespace, ordinal -> namespace + "-a", sets);
        awaitLeader(runtime, WAIT);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        emulators.close();
    }

    @Test
    void aRecreatedOrdinalIsBoundToItsOldVolume() {
        sets.create("web", 3, Map.of(), List.of(new Template("data", RETAIN, "1Gi")));
        awaitBound("data-web-0", "data-web-1", "data-web-2");
        PersistentVolume before = volumeOf("data-web-2");
        double rebinds = counter("rebound");

        recreate("data-web-2", "web-2");

        await().atMost(WAIT).until(() -> bound("data-web-2"));
        PersistentVolumeClaim claim = claim("data-web-2");
        assertEquals(before.getMetadata().getName(), claim.getSpec().getVolumeName());
        PersistentVolume after = client.persistentVolumes().withName(before.getMetadata().getName()).get();
        assertEquals(before.getSpec().getCsi().getVolumeHandle(), after.getSpec().getCsi().getVolumeHandle());
        assertEquals(claim.getMetadata().getUid(), after.getSpec().getClaimRef().getUid());
        assertNull(after.getSpec().getClaimRef().getResourceVersion(), "the stale claimRef's resourceVersion is gone");
        assertEquals("Bound", after.getStatus().getPhase());
        assertEquals(1, volumesOf("web", 2).size(), "no new volume was provisioned for ordinal 2");
        await().atMost(WAIT).until(() -> events("VolumeRebound", "PersistentVolumeClaim").stream()
                .anyMatch(m -> m.contains(before.getMetadata().getName()) && m.contains(before.getSpec().getCsi().getVolumeHandle()))
                && events("VolumeRebound", "StatefulSet").stream().anyMatch(m -> m.startsWith("data-web-2: ")));
        await().atMost(WAIT).until(() -> counter("rebound") == rebinds + 1);
        // The Pod follows its volume: scheduled to the node the volume is on.
        await().atMost(WAIT).until(() -> (namespace + "-a").equals(client.pods().inNamespace(namespace).withName("web-2")
                .get().getSpec().getNodeName()));
    }

    @Test
    void aLargerClaimIsSkippedAndGetsANewVolume() {
        sets.create("web", 3, Map.of(), List.of(new Template("data", RETAIN, "1Gi")));
        awaitBound("data-web-0", "data-web-1", "data-web-2");
        double skips = counter("skipped");
        // The way templates grow: the StatefulSet is deleted without its Pods and claims, and made again.
        client.apps().statefulSets().inNamespace(namespace).withName("web").withPropagationPolicy(DeletionPropagation.ORPHAN).delete();
        await().atMost(WAIT).until(() -> client.apps().statefulSets().inNamespace(namespace).withName("web").get() == null);
        sets.create("web", 3, Map.of(), List.of(new Template("data", RETAIN, "2Gi")));

        PersistentVolume old = recreate("data-web-2", "web-2");

        await().atMost(WAIT).until(() -> bound("data-web-2"));
        PersistentVolumeClaim claim = claim("data-web-2");
        assertEquals("skipped", claim.getMetadata().getAnnotations().get("ordinal.csi.dev/rebind"));
        assertNotEquals(old.getMetadata().getName(), claim.getSpec().getVolumeName(), "a new volume");
        String expected = "PV " + old.getMetadata().getName() + " has 1Gi, the claim asks 2Gi";
        await().atMost(WAIT).until(() -> events("RebindSkipped", "PersistentVolumeClaim").stream().anyMatch(m -> m.contains(expected))
                && events("RebindSkipped", "StatefulSet").stream().anyMatch(m -> m.contains(expected)));
        await().atMost(WAIT).until(() -> counter("skipped") == skips + 1);
        assertUntouched(old);
    }

    @Test
    void anotherClassIsSkippedAndGetsANewVolume() {
        sets.create("web", 2, Map.of(), List.of(new Template("data", RETAIN, "1Gi")));
        awaitBound("data-web-0", "data-web-1");
        client.apps().statefulSets().inNamespace(namespace).withName("web").withPropagationPolicy(DeletionPropagation.ORPHAN).delete();
        await().atMost(WAIT).until(() -> client.apps().statefulSets().inNamespace(namespace).withName("web").get() == null);
        sets.create("web", 2, Map.of(), List.of(new Template("data", SLOW, "1Gi")));

        PersistentVolume old = recreate("data-web-1", "web-1");

        await().atMost(WAIT).until(() -> bound("data-web-1"));
        assertNotEquals(old.getMetadata().getName(), claim("data-web-1").getSpec().getVolumeName());
        String expected = "PV " + old.getMetadata().getName() + " has class " + RETAIN + ", the claim asks " + SLOW;
        await().atMost(WAIT).until(() -> events("RebindSkipped", "PersistentVolumeClaim").stream().anyMatch(m -> m.contains(expected)));
        assertUntouched(old);
    }

    @Test
    void boundAndAvailableVolumesOfTheOrdinalAreLeftAlone() {
        // Volumes ordinal 1 of "web" had before: one an administrator bound to a claim of their own, one made
        // Available. Neither is the ordinal's to take back; the new claim gets a new volume.
        PersistentVolumeClaim inspect = client.persistentVolumeClaims().inNamespace(namespace).resource(
                new PersistentVolumeClaimBuilder().withNewMetadata().withName("inspect").withNamespace(namespace).endMetadata()
                        .withNewSpec().withStorageClassName(RETAIN).withAccessModes("ReadWriteOnce").withVolumeName("pv-" + namespace + "-bound")
                        .withNewResources().withRequests(Map.of("storage", new Quantity("1Gi"))).endResources().endSpec()
                        .build()).create();
        PersistentVolume boundElsewhere = oldVolume("pv-" + namespace + "-bound", 1, "Bound", inspect);
        PersistentVolume available = oldVolume("pv-" + namespace + "-available", 1, "Available", null);

        sets.create("web", 2, Map.of(), List.of(new Template("data", RETAIN, "1Gi")));

        awaitBound("data-web-0", "data-web-1");
        String volume = claim("data-web-1").getSpec().getVolumeName();
        assertNotEquals(boundElsewhere.getMetadata().getName(), volume);
        assertNotEquals(available.getMetadata().getName(), volume);
        assertUntouched(boundElsewhere);
        assertUntouched(available);
        assertEquals(List.of(), events("VolumeRebound", "PersistentVolumeClaim"));
        assertEquals(List.of(), events("RebindSkipped", "PersistentVolumeClaim"));
    }

    /**
     * What a user does to get an ordinal made again: delete its claim, and once the claim is gone (its volume
     * Released), its Pod; the StatefulSet controller makes both again. Returns the volume as it was Released.
     */
    private PersistentVolume recreate(String claimName, String podName) {
        PersistentVolumeClaim old = claim(claimName);
        String volume = old.getSpec().getVolumeName();
        client.persistentVolumeClaims().inNamespace(namespace).withName(claimName).delete();
        await().atMost(WAIT).until(() -> "Released".equals(phase(volume)));
        PersistentVolume released = client.persistentVolumes().withName(volume).get();
        client.pods().inNamespace(namespace).withName(podName).withGracePeriod(0).delete();
        await().atMost(WAIT).until(() -> claim(claimName) != null
                && !old.getMetadata().getUid().equals(claim(claimName).getMetadata().getUid()));
        return released;
    }

    private PersistentVolume oldVolume(String name, int ordinal, String phase, PersistentVolumeClaim holder) {
        PersistentVolumeBuilder builder = new PersistentVolumeBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withCapacity(Map.of("storage", new Quantity("1Gi"))).withAccessModes("ReadWriteOnce")
                .withStorageClassName(RETAIN).withPersistentVolumeReclaimPolicy("Retain")
                .withNewCsi().withDriver("ordinal.csi.dev").withVolumeHandle("local:" + namespace + "-a:disk1:" + name)
                .withVolumeAttributes(Map.of(VolumeIdentity.NAMESPACE, namespace, VolumeIdentity.STATEFUL_SET, "web",
                        VolumeIdentity.CLAIM_TEMPLATE, "data", VolumeIdentity.ORDINAL, Integer.toString(ordinal)))
                .endCsi().endSpec();
        if (holder != null) {
            builder.editSpec().withNewClaimRef().withNamespace(namespace).withName(holder.getMetadata().getName())
                    .withUid(holder.getMetadata().getUid()).endClaimRef().endSpec();
        }
        client.persistentVolumes().resource(builder.build()).create();
        return client.persistentVolumes().withName(name).editStatus(v -> {
            v.setStatus(new PersistentVolumeStatusBuilder().withPhase(phase).build());
            return v;
        });
    }

    private void assertUntouched(PersistentVolume before) {
        PersistentVolume now = client.persistentVolumes().withName(before.getMetadata().getName()).get();
        assertEquals(before.getSpec().getClaimRef() == null ? null : before.getSpec().getClaimRef().getUid(),
                now.getSpec().getClaimRef() == null ? null : now.getSpec().getClaimRef().getUid());
        assertEquals(before.getStatus() == null ? null : before.getStatus().getPhase(),
                now.getStatus() == null ? null : now.getStatus().getPhase());
        assertEquals(before.getMetadata().getResourceVersion(), now.getMetadata().getResourceVersion(),
                "no write to " + before.getMetadata().getName());
    }

    private void awaitBound(String... claims) {
        await().atMost(WAIT).until(() -> List.of(claims).stream().allMatch(this::bound));
    }

    private boolean bound(String claimName) {
        return ClusterFixtures.bound(claim(claimName));
    }

    private PersistentVolumeClaim claim(String name) {
        return client.persistentVolumeClaims().inNamespace(namespace).withName(name).get();
    }

    private PersistentVolume volumeOf(String claimName) {
        PersistentVolume volume = client.persistentVolumes().withName(claim(claimName).getSpec().getVolumeName()).get();
        // The stored object, after the last write of the emulated PV controller.
        await().atMost(WAIT).until(() -> "Bound".equals(phase(volume.getMetadata().getName())));
        return client.persistentVolumes().withName(volume.getMetadata().getName()).get();
    }

    private String phase(String volumeName) {
        PersistentVolume volume = client.persistentVolumes().withName(volumeName).get();
        return volume == null || volume.getStatus() == null ? null : volume.getStatus().getPhase();
    }

    private List<PersistentVolume> volumesOf(String set, int ordinal) {
        return client.persistentVolumes().list().getItems().stream()
                .filter(v -> PersistentVolumes.identity(v).filter(id -> id.namespace().equals(namespace)
                        && id.statefulSet().equals(set) && id.ordinal() == ordinal).isPresent()).toList();
    }

    private List<String> events(String reason, String kind) {
        return eventMessages(client, namespace, reason, kind);
    }

    private double counter(String result) {
        var counter = registry.find("ordinal.controller.rebinds").tag("result", result).counter();
        return counter == null ? 0 : counter.count();
    }
}
