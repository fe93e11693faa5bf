package dev.ordinal.controller.kube;

import static dev.ordinal.controller.kube.ClusterFixtures.apply;
import static dev.ordinal.controller.kube.ClusterFixtures.awaitLeader;
import static dev.ordinal.controller.kube.ClusterFixtures.emulators;
import static dev.ordinal.controller.kube.ClusterFixtures.eventMessages;
import static dev.ordinal.controller.kube.ClusterFixtures.namespace;
import static dev.ordinal.controller.kube.ClusterFixtures.node;
import static dev.ordinal.controller.kube.ClusterFixtures.ordinalClass;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.controller.ControllerRuntime;
import dev.ordinal.controller.kube.StatefulSetControllerEmulator.Template;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Node loss against the Kubernetes test server in CRUD mode: the test plays the node lifecycle controller (it turns
 * a Node's Ready condition False, with the transition time, or deletes the Node) and runs the stand-ins of
 * {@link RebindClusterTest} for the StatefulSet controller, scheduler, provisioner and PersistentVolume controller.
 * StatefulSet "db" has ordinal 1 on node a, the others on node b, each with a local volume (Retain) and an NFS
 * volume.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class NodeLossClusterTest {

    static final Duration WAIT = Duration.ofSeconds(15);
    static final String LOCAL = "ordinal-retain";
    static final String NFS = "ordinal-nfs";

    @KubernetesTestServer
    KubernetesServer kubernetes;

    @Inject
    ControllerRuntime runtime;

    @Inject
    MeterRegistry registry;

    private KubernetesClient client;
    private String namespace;
    private String nodeA;
    private String nodeB;
    private StatefulSetControllerEmulator sets;
    private EmulatorLoop emulators;

    @BeforeEach
    void setUp() {
        client = kubernetes.getKubernetesMockServer().createClient();
        namespace = namespace("n");
        nodeA = namespace + "-a";
        nodeB = namespace + "-b";
        apply(client, ordinalClass(LOCAL).withReclaimPolicy("Retain").build());
        apply(client, ordinalClass(NFS).withReclaimPolicy("Retain")
                .withParameters(Map.of("server", "nfs.example", "share", "/srv/k8s")).build());
        for (String node : List.of(nodeA, nodeB)) {
            node(client, node, ready("True", Instant.now()));
        }
        sets = new StatefulSetControllerEmulator(client, namespace);
        emulators = emulators(client, namespace, ordinal -> ordinal == 1 ? nodeA : nodeB, sets);
        awaitLeader(runtime, WAIT);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        emulators.close();
    }

    @Test
    void aNodeNotReadyForLessThanTheTimeoutReleasesNothing() {
        Map<String, String> before = startDb(Map.of("ordinal.csi.dev/node-loss-timeout", "10m"));
        notReady(nodeA, Instant.now());
        await().during(Duration.ofSeconds(2)).atMost(WAIT).until(() -> uids().equals(before));
        assertEquals(List.of(), events("NodeLost"));
    }

    @Test
    void aNodeNotReadyForLongerThanTheTimeoutReleasesItsOrdinalWhichIsMadeAgainElsewhere() {
        Map<String, String> before = startDb(Map.of("ordinal.csi.dev/node-loss-timeout", "10m"));
        PersistentVolumeClaim lostClaim = claim("data-db-1");
        Pod lostPod = client.pods().inNamespace(namespace).withName("db-1").get();
        double releases = releases();

        // The node lifecycle controller marked it not Ready eleven minutes ago.
        notReady(nodeA, Instant.now().minus(Duration.ofMinutes(11)));

        await().atMost(WAIT).until(() -> claim("data-db-1") != null
                && !lostClaim.getMetadata().getUid().equals(claim("data-db-1").getMetadata().getUid()));
        String reason = "node " + nodeA + ", not Ready since";
        await().atMost(WAIT).until(() -> events("NodeLost").stream().anyMatch(m -> m.contains(reason)
                && m.contains("data-db-1") && m.contains("force-deleted Pod db-1")));
        assertTrue(events("ClaimReleased").stream().anyMatch(m -> m.contains(reason) && m.contains("node-loss-timeout 10m")
                && m.contains(lostClaim.getSpec().getVolumeName())), events("ClaimReleased").toString());
        await().atMost(WAIT).until(() -> releases() == releases + 1);
        // The Pod was deleted (the StatefulSet controller made another), and the ordinal runs on node b with a
        // new volume: the old one, on the lost node, is not rebound.
        await().atMost(WAIT).until(() -> bound("data-db-1") && nodeB.equals(nodeOf("db-1")));
        assertNotEquals(lostPod.getMetadata().getUid(), client.pods().inNamespace(namespace).withName("db-1").get()
                .getMetadata().getUid());
        PersistentVolume fresh = client.persistentVolumes().withName(claim("data-db-1").getSpec().getVolumeName()).get();
        assertTrue(fresh.getSpec().getCsi().getVolumeHandle().startsWith("local:" + nodeB + ":"));
        assertTrue(eventsOn("RebindSkipped", "PersistentVolumeClaim").stream()
                .anyMatch(m -> m.contains("lives on a lost node: node " + nodeA + ", not Ready")));
        // The NFS claim of the same ordinal, and every other ordinal's claims, are as they were.
        assertEquals(before.get("shared-db-1"), uids().get("shared-db-1"));
        for (String other : List.of("data-db-0", "shared-db-0", "data-db-2", "shared-db-2")) {
            assertEquals(before.get(other), uids().get(other), other);
        }
    }

    @Test
    void aDeletedNodeReleasesItsOrdinalOnceTheTimeoutRunsOut() {
        Map<String, String> before = startDb(Map.of("ordinal.csi.dev/node-loss-timeout", "3s"));
        String oldPod = client.pods().inNamespace(namespace).withName("db-1").get().getMetadata().getUid();
        Instant deleted = Instant.now();
        client.nodes().withName(nodeA).delete();
        // The Pod garbage collector's part: a Pod bound to a node that no longer exists is deleted. The StatefulSet
        // controller makes it again, and it waits unscheduled, pinned by its claim to the node that is gone.
        client.pods().inNamespace(namespace).withName("db-1").withGracePeriod(0).delete();
        await().atMost(WAIT).until(() -> {
            Pod pod = client.pods().inNamespace(namespace).withName("db-1").get();
            return pod != null && !pod.getMetadata().getUid().equals(oldPod);
        });
        await().atMost(WAIT).until(() -> !before.get("data-db-1").equals(uids().get("data-db-1")));
        assertTrue(Duration.between(deleted, Instant.now()).compareTo(Duration.ofSeconds(3)) >= 0, "not before the timeout");
        await().atMost(WAIT).until(() -> events("NodeLost").stream().anyMatch(m -> m.contains("node " + nodeA + ", deleted")
                && m.contains("deleted Pod db-1 (unscheduled")));
        await().atMost(WAIT).until(() -> bound("data-db-1") && nodeB.equals(nodeOf("db-1")));
        assertEquals(before.get("shared-db-1"), uids().get("shared-db-1"));
    }

    @Test
    void aNodeReadyAgainBeforeTheTimeoutReleasesNothing() {
        Map<String, String> before = startDb(Map.of("ordinal.csi.dev/node-loss-timeout", "3s"));
        notReady(nodeA, Instant.now());
        await().during(Duration.ofSeconds(1)).atMost(WAIT).until(() -> uids().equals(before));
        client.nodes().withName(nodeA).editStatus(n -> new NodeBuilder(n).editStatus()
                .withConditions(ready("True", Instant.now())).endStatus().build());
        await().during(Duration.ofSeconds(4)).atMost(WAIT).until(() -> uids().equals(before));
        assertEquals(List.of(), events("NodeLost"));
    }

    @Test
    void aSetWithoutTheAnnotationIsLeftAloneEvenAfterLongLoss() {
        Map<String, String> before = startDb(Map.of());
        notReady(nodeA, Instant.now().minus(Duration.ofDays(1)));
        await().during(Duration.ofSeconds(2)).atMost(WAIT).until(() -> uids().equals(before));
        assertEquals(List.of(), events("NodeLost"));
    }

    /** Makes "db" and waits until every claim is Bound and every Pod scheduled; the claims' uids. */
    private Map<String, String> startDb(Map<String, String> annotations) {
        sets.create("db", 3, annotations, List.of(new Template("data", LOCAL, "1Gi"), new Template("shared", NFS, "1Gi")));
        await().atMost(WAIT).until(() -> uids().size() == 6 && uids().keySet().stream().allMatch(this::bound)
                && List.of(0, 1, 2).stream().allMatch(o -> nodeOf("db-" + o) != null));
        assertEquals(nodeA, nodeOf("db-1"));
        assertEquals(nodeB, nodeOf("db-0"));
        return uids();
    }

    private void notReady(String node, Instant since) {
        client.nodes().withName(node).editStatus(n -> new NodeBuilder(n).editStatus()
                .withConditions(ready("Unknown", since)).endStatus().build());
    }

    private static io.fabric8.kubernetes.api.model.NodeCondition ready(String status, Instant since) {
        return new NodeConditionBuilder().withType("Ready").withStatus(status)
                .withLastTransitionTime(since.truncatedTo(ChronoUnit.SECONDS).toString())
                .withReason(status.equals("True") ? "KubeletReady" : "NodeStatusUnknown").build();
    }

    private Map<String, String> uids() {
        Map<String, String> uids = new java.util.TreeMap<>();
        for (PersistentVolumeClaim claim : client.persistentVolumeClaims().inNamespace(namespace).list().getItems()) {
            uids.put(claim.getMetadata().getName(), claim.getMetadata().getUid());
        }
        return uids;
    }

    private PersistentVolumeClaim claim(String name) {
        return client.persistentVolumeClaims().inNamespace(namespace).withName(name).get();
    }

    private boolean bound(String name) {
        return ClusterFixtures.bound(claim(name));
    }

    private String nodeOf(String pod) {
        Pod p = client.pods().inNamespace(namespace).withName(pod).get();
        return p == null ? null : p.getSpec().getNodeName();
    }

    private List<String> events(String reason) {
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> reason.equals(e.getReason())).map(Event::getMessage).toList();
    }

    private List<String> eventsOn(String reason, String kind) {
        return eventMessages(client, namespace, reason, kind);
    }

    private double releases() {
        var counter = registry.find("ordinal.controller.node.loss.releases").counter();
        return counter == null ? 0 : counter.count();
    }
}
