package dev.ordinal.controller.kube;

import static dev.ordinal.controller.kube.ClusterFixtures.apply;
import static dev.ordinal.controller.kube.ClusterFixtures.awaitLeader;
import static dev.ordinal.controller.kube.ClusterFixtures.namespace;
import static dev.ordinal.controller.kube.ClusterFixtures.ordinalClass;
import static dev.ordinal.controller.kube.ClusterFixtures.readyNode;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.contract.Annotations;
import dev.ordinal.contract.crd.OrdinalNode;
import dev.ordinal.controller.ControllerRuntime;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Placement for Immediate binding against the Kubernetes test server: Nodes and the OrdinalNodes their agents would
 * report (two disks each) are made by the test, which also plays the StatefulSet controller and, with
 * {@link GatedProvisionerEmulator}, external-provisioner + a driver that provisions where the placement says. Nodes are
 * cluster-wide, so each test names its own and removes them afterwards.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class PlacementClusterTest {

    /** The node agents' reports, written here as generic resources, as an agent's JSON would arrive. */
    private static final ResourceDefinitionContext ORDINAL_NODES =
            ResourceDefinitionContext.fromResourceType(OrdinalNode.class);

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final long GIB = 1L << 30;
    static final String IMMEDIATE = "ordinal-immediate";
    static final String HARD = "ordinal-immediate-hard";
    static final String ORDERED = "ordinal-immediate-ordered";
    static final String WFFC = "ordinal-wffc";

    @KubernetesTestServer
    KubernetesServer kubernetes;

    @Inject
    ControllerRuntime runtime;

    @Inject
    MeterRegistry registry;

    private KubernetesClient client;
    private String namespace;
    private StatefulSetEmulator sts;
    private GatedProvisionerEmulator provisioner;
    private final List<String> nodes = new ArrayList<>();

    @BeforeEach
    void setUp() {
        client = kubernetes.getKubernetesMockServer().createClient();
        namespace = namespace("p");
        sts = new StatefulSetEmulator(client, namespace);
        storageClass(IMMEDIATE, "Immediate", Map.of());
        storageClass(HARD, "Immediate", Map.of("spread", "node/hard"));
        storageClass(ORDERED, "Immediate", Map.of("orderedBinding", "true"));
        storageClass(WFFC, "WaitForFirstConsumer", Map.of());
        provisioner = new GatedProvisionerEmulator(client, namespace, Duration.ofMillis(100));
        awaitLeader(runtime, WAIT);
    }

    @AfterEach
    void tearDown() {
        provisioner.close();
        // The sets go first: nodes are cluster-wide, and a set left behind would be placed on the next test's nodes.
        client.apps().statefulSets().inNamespace(namespace).delete();
        await().atMost(WAIT).until(() -> client.apps().statefulSets().inNamespace(namespace).list().getItems().isEmpty());
        for (String node : nodes) {
            client.genericKubernetesResources(ORDINAL_NODES).withName(node).delete();
            client.nodes().withName(node).delete();
        }
    }

    @Test
    void anImmediateSetIsSpreadOverThreeNodesAndWaitForFirstConsumerIsLeftToTheScheduler() {
        double placements = registry.counter("ordinal.controller.placements").count();
        long decisions = registry.timer("ordinal.controller.allocator.decision").count();
        addNodes(3);
        sts.createParallel("lazy", 2, Map.of("data", WFFC), Map.of());
        sts.createParallel("web", 3, Map.of("data", IMMEDIATE), Map.of());

        await().atMost(WAIT).until(() -> IntStream.range(0, 3).allMatch(o -> placement("data-web-" + o) != null));
        Set<String> used = new HashSet<>();
        for (int ordinal = 0; ordinal < 3; ordinal++) {
            String[] where = placement("data-web-" + ordinal).split("/");
            assertTrue(nodes.contains(where[0]), where[0] + " is one of the nodes");
            assertTrue(Set.of("nvme0", "nvme1").contains(where[1]), where[1] + " is a disk of " + where[0]);
            used.add(where[0]);
            Event placed = firstEvent("data-web-" + ordinal, "ClaimPlaced");
            assertTrue(placed.getMessage().contains("Placed on " + where[0] + "/" + where[1]) && placed.getMessage()
                    .contains("spread node/soft"), placed.getMessage());
        }
        assertEquals(3, used.size(), "soft node spread puts the three ordinals on three nodes");
        // The volumes are made where the controller placed them.
        await().atMost(WAIT).until(() -> IntStream.range(0, 3).allMatch(o -> "Bound".equals(phase("data-web-" + o))));
        for (int ordinal = 0; ordinal < 3; ordinal++) {
            String volume = sts.claim("data-web-" + ordinal).getSpec().getVolumeName();
            assertTrue(client.persistentVolumes().withName(volume).get().getSpec().getCsi().getVolumeHandle()
                    .startsWith("local:" + placement("data-web-" + ordinal).replace('/', ':') + ":"));
        }
        await().during(Duration.ofSeconds(1)).atMost(WAIT)
                .until(() -> placement("data-lazy-0") == null && placement("data-lazy-1") == null);
        assertEquals(placements + 3, registry.counter("ordinal.controller.placements").count());
        assertTrue(registry.timer("ordinal.controller.allocator.decision").count() >= decisions + 3);
    }

    @Test
    void hardSpreadRefusesTheFourthOrdinalWithTheNumbersOnceUntilANodeJoins() {
        double refusals = registry.counter("ordinal.controller.allocator.refusals", "reason", "spread").count();
        addNodes(3);
        sts.createParallel("db", 4, Map.of("data", HARD), Map.of());

        await().atMost(WAIT).until(() -> !events("data-db-3", "PlacementRefused").isEmpty());
        assertTrue(IntStream.range(0, 3).allMatch(o -> placement("data-db-" + o) != null), "ordinals 0..2 placed");
        assertEquals(3, IntStream.range(0, 3).mapToObj(o -> placement("data-db-" + o).split("/")[0]).distinct().count());
        assertNull(placement("data-db-3"));
        Event refused = firstEvent("data-db-3", "PlacementRefused");
        assertEquals("Warning", refused.getType());
        String message = refused.getMessage();
        assertTrue(message.contains("asked 1 GiB") && message.contains("of 3 nodes")
                && message.contains("3 hold other ordinals of " + namespace + "/db/data (node/hard spread)")
                && message.contains("none left"), message);
        assertTrue(registry.counter("ordinal.controller.allocator.refusals", "reason", "spread").count() > refusals);

        // Ordinals 0..2 being provisioned and Bound bring reconciles of db: the same refusal is not told again.
        await().atMost(WAIT).until(() -> IntStream.range(0, 3).allMatch(o -> "Bound".equals(phase("data-db-" + o))));
        await().during(Duration.ofSeconds(1)).atMost(WAIT).until(() -> events("data-db-3", "PlacementRefused").size() == 1);

        String fourth = addNode(3);
        await().atMost(WAIT).until(() -> placement("data-db-3") != null);
        assertTrue(placement("data-db-3").startsWith(fourth + "/"), placement("data-db-3"));
    }

    @Test
    void anOrderedImmediateClaimIsPlacedOnlyOnceAdmitted() {
        addNodes(3);
        sts.createParallel("q", 3, Map.of("data", ORDERED), Map.of());

        await().atMost(WAIT).until(() -> IntStream.range(0, 3).allMatch(o -> "Bound".equals(phase("data-q-" + o))));
        assertEquals(List.of("admitted 0", "placed 0", "bound 0", "admitted 1", "placed 1", "bound 1",
                "admitted 2", "placed 2", "bound 2"), provisioner.steps("data-q-"));
        // The earlier ordinals were Bound volumes when the later ones were placed: spread still sees them.
        assertEquals(3, IntStream.range(0, 3).mapToObj(o -> placement("data-q-" + o).split("/")[0]).distinct().count());
    }

    private void addNodes(int count) {
        for (int i = 0; i < count; i++) {
            addNode(i);
        }
    }

    /** A Ready Node and its agent's report: disks nvme0 (10 GiB) and nvme1 (20 GiB), offering image and dir. */
    private String addNode(int index) {
        String name = namespace + "-n" + index;
        readyNode(client, name);
        List<Map<String, Object>> disks = List.of(disk("nvme0", 10 * GIB), disk("nvme1", 20 * GIB));
        client.genericKubernetesResources(ORDINAL_NODES).resource(new GenericKubernetesResourceBuilder()
                .withApiVersion("ordinal.csi.dev/v1alpha1").withKind("OrdinalNode")
                .withNewMetadata().withName(name).endMetadata()
                .withAdditionalProperties(Map.of("spec", Map.of("cordoned", false), "status", Map.of(
                        "topology", Map.of("topology.kubernetes.io/zone", "zone-" + index), "disks", disks,
                        "heartbeat", java.time.Instant.now().toString())))
                .build()).create();
        nodes.add(name);
        return name;
    }

    private static Map<String, Object> disk(String name, long bytes) {
        return Map.of("name", name, "path", "/var/lib/ordinal/" + name, "filesystem", "xfs", "layouts", List.of("image", "dir"),
                "capacityBytes", bytes, "allocatableBytes", bytes, "healthy", true);
    }

    private String placement(String claim) {
        return sts.annotations(claim).get(Annotations.PLACEMENT);
    }

    private String phase(String claim) {
        var found = sts.claim(claim);
        return found == null || found.getStatus() == null ? null : found.getStatus().getPhase();
    }

    /** The Event is recorded just after the annotation it reports is written: wait for it. */
    private Event firstEvent(String claim, String reason) {
        await().atMost(WAIT).until(() -> !events(claim, reason).isEmpty());
        return events(claim, reason).getFirst();
    }

    private List<Event> events(String claim, String reason) {
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> claim.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())).toList();
    }

    private void storageClass(String name, String bindingMode, Map<String, String> parameters) {
        apply(client, ordinalClass(name).withVolumeBindingMode(bindingMode).withParameters(parameters).build());
    }
}
