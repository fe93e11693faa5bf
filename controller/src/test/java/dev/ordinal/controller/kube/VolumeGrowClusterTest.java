package dev.ordinal.controller.kube;

import static dev.ordinal.controller.kube.ClusterFixtures.apply;
import static dev.ordinal.controller.kube.ClusterFixtures.awaitLeader;
import static dev.ordinal.controller.kube.ClusterFixtures.bound;
import static dev.ordinal.controller.kube.ClusterFixtures.emulators;
import static dev.ordinal.controller.kube.ClusterFixtures.eventMessages;
import static dev.ordinal.controller.kube.ClusterFixtures.namespace;
import static dev.ordinal.controller.kube.ClusterFixtures.ordinalClass;
import static dev.ordinal.controller.kube.ClusterFixtures.readyNode;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.contract.Annotations;
import dev.ordinal.controller.ControllerRuntime;
import dev.ordinal.controller.kube.StatefulSetControllerEmulator.Template;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Growing a StatefulSet's volumes, against the Kubernetes test server in CRUD mode with the test's stand-ins for
 * the StatefulSet controller, external-provisioner, the PersistentVolume controller and csi-resizer with kubelet's
 * node part ({@link ResizerEmulator}): the cases the real-cluster test (RealVolumeGrowTest) leaves to this level, a
 * StatefulSet re-created with a larger template found by itself, pause and resume, and a class without expansion.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class VolumeGrowClusterTest {

    static final Duration WAIT = Duration.ofSeconds(20);
    static final String GROWS = "ordinal-grows";
    static final String FIXED = "ordinal-fixed";

    @KubernetesTestServer
    KubernetesServer kubernetes;

    @Inject
    ControllerRuntime runtime;

    @Inject
    MeterRegistry registry;

    private KubernetesClient client;
    private String namespace;
    private StatefulSetControllerEmulator sets;
    private ResizerEmulator resizer;
    private EmulatorLoop emulators;

    @BeforeEach
    void setUp() {
        client = kubernetes.getKubernetesMockServer().createClient();
        namespace = namespace("g");
        for (String name : List.of(GROWS, FIXED)) {
            apply(client, ordinalClass(name).withReclaimPolicy("Delete").withAllowVolumeExpansion(GROWS.equals(name))
                    .build());
        }
        readyNode(client, namespace + "-a");
        sets = new StatefulSetControllerEmulator(client, namespace);
        resizer = new ResizerEmulator(client, namespace);
        emulators = emulators(client, namespace, ordinal -> namespace + "-a", sets, resizer);
        awaitLeader(runtime, WAIT);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        emulators.close();
    }

    /**
     * The way templates grow without this controller: the StatefulSet deleted without its Pods and claims and made
     * again with 2Gi, which changes no claim. The controller finds the template asking more than its claims hold
     * and grows them one after the other, in ordinal order, each finished on the node before the next.
     */
    @Test
    void aStatefulSetReCreatedWithALargerTemplateHasItsClaimsGrownOneAfterTheOther() {
        sets.create("web", 3, Map.of(), List.of(new Template("data", GROWS, "1Gi")));
        awaitBound("data-web-0", "data-web-1", "data-web-2");
        double started = counter("started");
        client.apps().statefulSets().inNamespace(namespace).withName("web")
                .withPropagationPolicy(DeletionPropagation.ORPHAN).delete();
        await().atMost(WAIT).until(() -> client.apps().statefulSets().inNamespace(namespace).withName("web").get() == null);
        sets.create("web", 3, Map.of(), List.of(new Template("data", GROWS, "2Gi")));

        await().atMost(WAIT).until(() -> status("web").contains("\"state\":\"Complete\""));
        for (int ordinal = 0; ordinal < 3; ordinal++) {
            assertEquals(new Quantity("2Gi"), claim("data-web-" + ordinal).getStatus().getCapacity().get("storage"));
        }
        assertEquals(List.of("data-web-0", "data-web-1", "data-web-2"), resizer.asked(), "in ordinal order");
        assertEquals(1, resizer.mostAtOnce(), "one at a time");
        assertEquals("{\"size\":\"2Gi\",\"done\":3,\"total\":3,\"current\":[],\"state\":\"Complete\"}", status("web"));
        await().atMost(WAIT).until(() -> events("VolumeGrown", "StatefulSet").size() == 3
                && events("VolumeGrowComplete", "StatefulSet").size() == 1);
        assertTrue(events("VolumeGrowStarted", "StatefulSet").getFirst()
                .contains("the template asks more than its claims hold"), events("VolumeGrowStarted", "StatefulSet").toString());
        assertEquals(started + 3, counter("started"));
    }

    /** Paused, nothing starts and the status says so; resumed, the rollout goes to the end. */
    @Test
    void aPausedRolloutStartsNothingUntilResumed() {
        sets.create("db", 2, Map.of(), List.of(new Template("data", GROWS, "1Gi")));
        awaitBound("data-db-0", "data-db-1");
        annotate("db", Map.of(Annotations.CLAIM_SIZE_PAUSED, "true", Annotations.CLAIM_SIZE_PREFIX + "data", "3Gi"));

        await().atMost(WAIT).until(() -> status("db").contains("\"state\":\"Paused\""));
        await().during(Duration.ofSeconds(1)).atMost(WAIT).until(() -> resizer.asked().isEmpty());
        assertTrue(status("db").contains("\"reason\":\"paused\""), status("db"));
        await().atMost(WAIT).until(() -> events("VolumeGrowPaused", "StatefulSet").size() == 1);

        annotate("db", new HashMap<>(Map.of(Annotations.CLAIM_SIZE_PAUSED, "false")));
        await().atMost(WAIT).until(() -> status("db").contains("\"state\":\"Complete\""));
        assertEquals(List.of("data-db-0", "data-db-1"), resizer.asked());
        await().atMost(WAIT).until(() -> events("VolumeGrowStarted", "StatefulSet").stream()
                .anyMatch(m -> m.startsWith("Resumed growing the claims of template data to 3Gi")));
    }

    /** A class without allowVolumeExpansion: refused with an Event naming the claim; no claim is changed. */
    @Test
    void aClassWithoutVolumeExpansionIsRefusedWithAnEventNamingTheClaim() {
        sets.create("fixed", 2, Map.of(), List.of(new Template("data", FIXED, "1Gi")));
        awaitBound("data-fixed-0", "data-fixed-1");
        double refused = counter("refused");
        annotate("fixed", Map.of(Annotations.CLAIM_SIZE_PREFIX + "data", "2Gi"));

        await().atMost(WAIT).until(() -> events("VolumeGrowRefused", "PersistentVolumeClaim").stream().anyMatch(m ->
                m.startsWith("Not growing data-fixed-0 (ordinal 0) to 2Gi: its StorageClass " + FIXED
                        + " does not allow volume expansion")));
        assertTrue(status("fixed").contains("\"state\":\"Stopped\""), status("fixed"));
        assertEquals(List.of(), resizer.asked(), "no claim asks more");
        await().atMost(WAIT).until(() -> counter("refused") == refused + 1);
        // Told once: the status annotation remembers the reason across reconciles.
        await().during(Duration.ofSeconds(1)).atMost(WAIT)
                .until(() -> events("VolumeGrowRefused", "StatefulSet").size() == 1);
    }

    private void annotate(String set, Map<String, String> annotations) {
        client.apps().statefulSets().inNamespace(namespace).withName(set).edit(s -> {
            Map<String, String> all = new HashMap<>(Optional.ofNullable(s.getMetadata().getAnnotations()).orElse(Map.of()));
            all.putAll(annotations);
            s.getMetadata().setAnnotations(all);
            return s;
        });
    }

    private String status(String set) {
        return Optional.ofNullable(client.apps().statefulSets().inNamespace(namespace).withName(set).get())
                .map(s -> s.getMetadata().getAnnotations()).map(a -> a.get(Annotations.CLAIM_SIZE_STATUS_PREFIX + "data"))
                .orElse("");
    }

    private void awaitBound(String... claims) {
        await().atMost(WAIT).until(() -> List.of(claims).stream().allMatch(name -> bound(claim(name))));
    }

    private PersistentVolumeClaim claim(String name) {
        return client.persistentVolumeClaims().inNamespace(namespace).withName(name).get();
    }

    private List<String> events(String reason, String kind) {
        return eventMessages(client, namespace, reason, kind);
    }

    private double counter(String result) {
        var counter = registry.find("ordinal.controller.volume.grow.claims").tag("result", result).counter();
        return counter == null ? 0 : counter.count();
    }
}
