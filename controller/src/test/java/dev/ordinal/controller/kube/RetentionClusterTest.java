package dev.ordinal.controller.kube;

import static dev.ordinal.controller.kube.ClusterFixtures.awaitLeader;
import static dev.ordinal.controller.kube.ClusterFixtures.namespace;
import static dev.ordinal.controller.kube.StatefulSetEmulator.range;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.contract.Annotations;
import dev.ordinal.controller.ControllerRuntime;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The controller in Quarkus against the Kubernetes test server in CRUD mode, with the test acting as the
 * StatefulSet controller ({@link StatefulSetEmulator}). Each test has a namespace of its own.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class RetentionClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    @KubernetesTestServer
    KubernetesServer kubernetes;

    @Inject
    ControllerRuntime runtime;

    @Inject
    MeterRegistry registry;

    private KubernetesClient client;
    private String namespace;
    private StatefulSetEmulator sts;

    @BeforeEach
    void setUp() {
        client = kubernetes.getKubernetesMockServer().createClient();
        namespace = namespace("t");
        sts = new StatefulSetEmulator(client, namespace);
        awaitLeader(runtime, WAIT);
    }

    @ParameterizedTest(name = "whenDeleted={0} whenScaled={1}")
    @CsvSource({"Retain,Retain", "Delete,Retain", "Retain,Delete", "Delete,Delete"})
    void scaleFiveToTwoToFive(String whenDeleted, String whenScaled) {
        sts.create("web", 5, whenDeleted, whenScaled, Map.of());
        boolean setOwns = whenDeleted.equals("Delete");
        awaitOwners("web", range(0, 5), setOwns ? List.of("StatefulSet/web") : List.of());
        Map<Integer, String> before = sts.claims("web");

        sts.scale("web", 2);
        if (whenScaled.equals("Delete")) {
            await().atMost(WAIT).until(() -> sts.ordinals("web").equals(range(0, 2)));
        } else {
            await().during(Duration.ofMillis(800)).atMost(WAIT).until(() -> sts.ordinals("web").equals(range(0, 5)));
        }
        awaitOwners("web", range(0, 2), setOwns ? List.of("StatefulSet/web") : List.of());

        sts.scale("web", 5);
        await().atMost(WAIT).until(() -> sts.ordinals("web").equals(range(0, 5)));
        awaitOwners("web", range(0, 5), setOwns ? List.of("StatefulSet/web") : List.of());
        Map<Integer, String> after = sts.claims("web");
        // Ordinals below the replica count were never deleted: same claims (uids) throughout.
        assertEquals(before.get(0), after.get(0));
        assertEquals(before.get(1), after.get(1));
        if (whenScaled.equals("Retain")) {
            assertEquals(before, after);
        } else {
            await().atMost(WAIT).until(() -> eventReasons().contains("ClaimDeleted")); // Events are written in the background
        }
    }

    @Test
    void cascadingDeleteRemovesClaimsTheStatefulSetControlled() {
        sts.create("db", 3, "Delete", "Retain", Map.of());
        awaitOwners("db", range(0, 3), List.of("StatefulSet/db"));
        client.pods().inNamespace(namespace).withLabel("app", "db").delete(); // the garbage collector's part for pods
        client.apps().statefulSets().inNamespace(namespace).withName("db").delete();
        await().atMost(WAIT).until(() -> sts.ordinals("db").isEmpty());
    }

    @Test
    void orphaningDeleteKeepsClaims() {
        sts.create("db", 3, "Delete", "Delete", Map.of());
        awaitOwners("db", range(0, 3), List.of("StatefulSet/db"));
        // As the API does for propagationPolicy=Orphan: the orphan finalizer holds the StatefulSet while the
        // garbage collector removes the dependents' references, then it goes.
        client.apps().statefulSets().inNamespace(namespace).withName("db")
                .edit(s -> new StatefulSetBuilder(s).editMetadata().addToFinalizers("orphan").endMetadata().build());
        client.apps().statefulSets().inNamespace(namespace).withName("db").delete();
        await().atMost(WAIT).until(() -> sts.get("db").getMetadata().getDeletionTimestamp() != null);
        for (int ordinal = 0; ordinal < 3; ordinal++) {
            client.persistentVolumeClaims().inNamespace(namespace).withName("data-db-" + ordinal).edit(c ->
                    new PersistentVolumeClaimBuilder(c).editMetadata().withOwnerReferences(List.of()).endMetadata().build());
        }
        client.apps().statefulSets().inNamespace(namespace).withName("db")
                .edit(s -> new StatefulSetBuilder(s).editMetadata().withFinalizers(List.of()).endMetadata().build());
        await().atMost(WAIT).until(() -> sts.get("db") == null);
        await().during(Duration.ofSeconds(1)).atMost(WAIT).until(() -> sts.ordinals("db").equals(range(0, 3)));
    }

    /**
     * The grace period needs whenScaled=Delete by annotation over a spec saying Retain (what the API server fills in
     * when the StatefulSet leaves the policy out): with Delete in the spec, Kubernetes' StatefulSet controller hands
     * the claim to the garbage collector at scale-down ({@link #withWhenScaledDeleteInTheSpecNoGracePeriodStarts}).
     */
    @Test
    void gracePeriodExpiresThenScaledDownClaimsGo() {
        sts.create("web", 4, "Retain", "Retain",
                Map.of(Annotations.SCALE_DOWN_GRACE, "2s", Annotations.WHEN_SCALED, "Delete"));
        sts.scale("web", 2);
        await().atMost(WAIT).until(() -> sts.annotations("data-web-2").containsKey(Annotations.SCALED_DOWN_SINCE)
                && sts.annotations("data-web-3").containsKey(Annotations.SCALED_DOWN_SINCE));
        assertEquals(range(0, 4), sts.ordinals("web"), "kept while the grace period runs");
        await().atMost(WAIT).until(() -> sts.ordinals("web").equals(range(0, 2)));
        await().atMost(WAIT).until(() -> eventReasons().contains("ScaleDownGraceStarted"));
    }

    @Test
    void scalingBackUpWithinTheGracePeriodCancelsDeletion() {
        sts.create("web", 4, "Delete", "Retain",
                Map.of(Annotations.SCALE_DOWN_GRACE, "1m", Annotations.WHEN_SCALED, "Delete"));
        awaitOwners("web", range(0, 4), List.of("StatefulSet/web"));
        Map<Integer, String> before = sts.claims("web");
        sts.scale("web", 2);
        await().atMost(WAIT).until(() -> sts.annotations("data-web-3").containsKey(Annotations.SCALED_DOWN_SINCE));
        sts.scale("web", 4);
        await().atMost(WAIT).until(() -> !sts.annotations("data-web-2").containsKey(Annotations.SCALED_DOWN_SINCE)
                && !sts.annotations("data-web-3").containsKey(Annotations.SCALED_DOWN_SINCE));
        assertEquals(before, sts.claims("web"));
        awaitOwners("web", range(0, 4), List.of("StatefulSet/web"));
        await().atMost(WAIT).until(() -> eventReasons().contains("ScaleDownCancelled"));
    }

    @Test
    void withWhenScaledDeleteInTheSpecNoGracePeriodStarts() {
        sts.create("web", 3, "Retain", "Delete", Map.of(Annotations.SCALE_DOWN_GRACE, "10m"));
        sts.scale("web", 2);
        await().atMost(WAIT).until(() -> sts.ordinals("web").equals(range(0, 2)));
        await().atMost(WAIT).until(() -> eventReasons().contains("ClaimDeleted"));
        assertTrue(!eventReasons().contains("ScaleDownGraceStarted"), eventReasons().toString());
    }

    @Test
    void claimWithForeignControllerIsLeftAlone() {
        StatefulSet set = sts.create("web", 2, "Delete", "Delete", Map.of());
        sts.makeOrdinal(set, 2, List.of(new OwnerReferenceBuilder().withApiVersion("example.com/v1").withKind("Database")
                .withName("db").withUid("db-uid").withController(true).build()));
        sts.scale("web", 3);
        awaitOwners("web", range(0, 2), List.of("StatefulSet/web"));
        sts.scale("web", 1);
        await().atMost(WAIT).until(() -> sts.ordinals("web").equals(Set.of(0, 2)));
        await().during(Duration.ofMillis(800)).atMost(WAIT)
                .until(() -> sts.owners("data-web-2").equals(List.of("Database/db")) && sts.ordinals("web").contains(2));
    }

    @Test
    void conflictsAreRetriedUntilTheClaimConverges() {
        KubernetesMockServer server = kubernetes.getKubernetesMockServer();
        String path = "/api/v1/namespaces/" + namespace + "/persistentvolumeclaims/data-web-0";
        server.expect().patch().withPath(path).andReturn(409, new StatusBuilder().withStatus("Failure").withCode(409)
                .withReason("Conflict").withMessage("the object has been modified").build()).times(3);
        double errors = registry.counter("ordinal.controller.reconcile.errors").count();
        sts.create("web", 1, "Delete", "Retain", Map.of());
        awaitOwners("web", range(0, 1), List.of("StatefulSet/web"));
        assertTrue(registry.counter("ordinal.controller.reconcile.errors").count() >= errors + 3);
    }

    @Test
    void twoReplicasOneLeaderAndTakeover() {
        OrdinalController app = runtime.controller().orElseThrow();
        Settings settings = new Settings("second", "default", "ordinal-controller", Duration.ofSeconds(2),
                Duration.ofMillis(1500), Duration.ofMillis(200), Duration.ofSeconds(30));
        try (OrdinalController second = new OrdinalController(kubernetes.getKubernetesMockServer().createClient(),
                new SimpleMeterRegistry(), settings, Clock.systemUTC()).start()) {
            await().during(Duration.ofMillis(800)).atMost(WAIT).until(() -> app.isLeader() && !second.isLeader());
            sts.create("one", 2, "Retain", "Delete", Map.of());
            sts.scale("one", 1);
            await().atMost(WAIT).until(() -> sts.ordinals("one").equals(range(0, 1)));
            await().atMost(WAIT).until(() -> !reportingInstances("ClaimDeleted").isEmpty()); // written in the background
            assertEquals(Set.of("quarkus-app"), reportingInstances("ClaimDeleted"));

            app.stopLeading();
            await().atMost(WAIT).until(() -> second.isLeader() && !app.isLeader());
            sts.create("two", 2, "Retain", "Delete", Map.of());
            sts.scale("two", 1);
            await().atMost(WAIT).until(() -> sts.ordinals("two").equals(range(0, 1)));
            await().atMost(WAIT).until(() -> reportingInstances("ClaimDeleted").contains("second"));
        } finally {
            app.resumeElection();
        }
        await().atMost(WAIT).until(app::isLeader);
    }

    private void awaitOwners(String set, Set<Integer> ordinals, List<String> owners) {
        await().atMost(WAIT).until(() -> ordinals.stream().allMatch(o -> sts.owners("data-" + set + "-" + o).equals(owners)));
    }

    private List<String> eventReasons() {
        return client.v1().events().inNamespace(namespace).list().getItems().stream().map(Event::getReason).toList();
    }

    private Set<String> reportingInstances(String reason) {
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> reason.equals(e.getReason())).map(Event::getReportingInstance)
                .collect(java.util.stream.Collectors.toSet());
    }
}
