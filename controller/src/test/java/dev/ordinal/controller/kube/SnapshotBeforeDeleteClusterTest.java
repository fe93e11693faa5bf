package dev.ordinal.controller.kube;

import dev.ordinal.controller.kube.cache.VolumeSnapshots;
import static dev.ordinal.controller.kube.ClusterFixtures.awaitLeader;
import static dev.ordinal.controller.kube.ClusterFixtures.namespace;
import static dev.ordinal.controller.kube.StatefulSetEmulator.range;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.contract.Annotations;
import dev.ordinal.controller.ControllerRuntime;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Snapshot-before-delete against the Kubernetes test server: the test acts as the StatefulSet controller
 * ({@link StatefulSetEmulator}) and the snapshot controller ({@link SnapshotControllerEmulator}, 600 ms per
 * snapshot); {@link ClaimWatch} writes every claim deletion to the same {@link Timeline} and checks that no claim
 * below the replica count is ever deleted.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class SnapshotBeforeDeleteClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String ANNOTATION = Annotations.SNAPSHOT_BEFORE_DELETE;
    private static final String FINALIZER = Annotations.SNAPSHOT_BEFORE_DELETE;

    @KubernetesTestServer
    KubernetesServer kubernetes;

    @Inject
    ControllerRuntime runtime;

    @Inject
    MeterRegistry registry;

    private KubernetesClient client;
    private String namespace;
    private StatefulSetEmulator sts;
    private Timeline timeline;
    private SnapshotControllerEmulator snapshotter;
    private ClaimWatch claims;

    @BeforeEach
    void setUp() {
        client = kubernetes.getKubernetesMockServer().createClient();
        namespace = namespace("s");
        SnapshotControllerEmulator.installCrd(client);
        sts = new StatefulSetEmulator(client, namespace);
        timeline = new Timeline();
        snapshotter = new SnapshotControllerEmulator(client, namespace, Duration.ofMillis(600), timeline);
        claims = new ClaimWatch(client, namespace, timeline);
        awaitLeader(runtime, WAIT);
    }

    @AfterEach
    void tearDown() {
        snapshotter.close();
        claims.close();
    }

    @Test
    void scaleDownDeletesEachClaimOnlyAfterItsSnapshotIsReady() {
        double requested = counter("requested");
        double ready = counter("ready");
        // whenScaled=Delete by annotation over a spec saying Retain: the claims wait for their Pods (the other tests
        // have Delete in the spec, where the snapshot is asked for at scale-down).
        sts.create("web", 3, "Retain", "Retain",
                Map.of(ANNOTATION, "fast-snapshots", Annotations.WHEN_SCALED, "Delete"));
        awaitFinalizers("web", range(0, 3));
        Map<Integer, String> uids = sts.claims("web");

        sts.scale("web", 1);
        // Gone, not just terminating: every finalizer (ours, the snapshot controller's) came off.
        await().atMost(WAIT).until(() -> sts.claim("data-web-1") == null && sts.claim("data-web-2") == null);

        for (int ordinal : List.of(1, 2)) {
            String claim = "data-web-" + ordinal;
            GenericKubernetesResource snapshot = snapshotOf(claim).orElseThrow(() -> new AssertionError("no snapshot of " + claim));
            String name = snapshot.getMetadata().getName();
            int readyAt = timeline.indexOf("ready " + name);
            int deletedAt = timeline.indexOf("deleted " + claim);
            assertTrue(readyAt >= 0 && deletedAt > readyAt, claim + " deleted only after " + name + " was ready: " + timeline.entries());
            Map<?, ?> spec = (Map<?, ?>) snapshot.getAdditionalProperties().get("spec");
            assertEquals(Map.of("persistentVolumeClaimName", claim), spec.get("source"));
            assertEquals("fast-snapshots", spec.get("volumeSnapshotClassName"));
            assertEquals(Map.of("app.kubernetes.io/managed-by", "ordinal-controller", "ordinal.csi.dev/statefulset", "web",
                    "ordinal.csi.dev/claim-template", "data", "ordinal.csi.dev/ordinal", Integer.toString(ordinal)),
                    snapshot.getMetadata().getLabels());
            assertEquals(uids.get(ordinal), snapshot.getMetadata().getAnnotations().get(VolumeSnapshots.CLAIM_UID));
            assertEquals(VolumeSnapshots.name(claim, uids.get(ordinal)), name);
        }
        assertEquals(uids.get(0), sts.claims("web").get(0), "the claim in range is untouched");
        assertEquals(List.of(), claims.violations());
        // Events are written in the background: they may follow the deletion by a moment.
        await().atMost(WAIT).until(() -> eventReasons("StatefulSet", "web").containsAll(
                List.of("SnapshotFinalizerAdded", "SnapshotRequested", "SnapshotReady", "ClaimDeleted")));
        assertTrue(counter("requested") >= requested + 2);
        assertTrue(counter("ready") >= ready + 2);
    }

    @Test
    void aFailingSnapshotKeepsItsClaimWithAWarningUntilItSucceeds() {
        double failed = counter("failed");
        snapshotter.failFor("data-web-1");
        sts.create("web", 2, "Retain", "Delete", Map.of(ANNOTATION, "true"));
        awaitFinalizers("web", range(0, 2));
        sts.scale("web", 1);

        await().atMost(WAIT).until(() -> warnings("PersistentVolumeClaim", "data-web-1").stream()
                .anyMatch(e -> "SnapshotFailed".equals(e.getReason())));
        Event warning = warnings("PersistentVolumeClaim", "data-web-1").getFirst();
        assertTrue(warning.getMessage().contains("no room for a snapshot of data-web-1 on disk d1"), warning.getMessage());
        assertTrue(warning.getMessage().contains(ANNOTATION), "says how to let the claim go: " + warning.getMessage());
        await().atMost(WAIT).until(() -> warnings("StatefulSet", "web").stream().anyMatch(e -> "SnapshotFailed".equals(e.getReason())));
        assertTrue(counter("failed") >= failed + 1);
        await().during(Duration.ofSeconds(2)).atMost(WAIT).until(() -> sts.ordinals("web").equals(range(0, 2)));
        assertEquals(1, warnings("PersistentVolumeClaim", "data-web-1").size(), "one Warning per error, not one per look");
        // "true" asks for the default class: the snapshot names none, the snapshot controller picks it.
        Map<?, ?> spec = (Map<?, ?>) snapshotOf("data-web-1").orElseThrow().getAdditionalProperties().get("spec");
        assertTrue(!spec.containsKey("volumeSnapshotClassName"), spec.toString());

        snapshotter.recover("data-web-1");
        await().atMost(WAIT).until(() -> sts.claim("data-web-1") == null);
        assertTrue(timeline.indexOf("deleted data-web-1") > timeline.indexOf("ready " + snapshotOf("data-web-1")
                .orElseThrow().getMetadata().getName()));
        assertEquals(List.of(), claims.violations());
    }

    @Test
    void deletingTheStatefulSetWaitsForTheSnapshotsOfTheClaimsThatGoWithIt() {
        sts.create("db", 3, "Delete", "Retain", Map.of(ANNOTATION, "fast-snapshots"));
        awaitFinalizers("db", range(0, 3));
        await().atMost(WAIT).until(() -> sts.owners("data-db-0").equals(List.of("StatefulSet/db")));
        // As kubectl delete (background): our finalizer leaves the StatefulSet terminating, so the garbage
        // collector (here: the test, deleting the Pods once the set is gone) waits.
        try (Watch setWatch = client.apps().statefulSets().inNamespace(namespace).withName("db").watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, StatefulSet set) {
                if (action == Action.DELETED) {
                    timeline.add("statefulset gone");
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        })) {
            client.apps().statefulSets().inNamespace(namespace).withName("db").delete();
            assertNotNull(sts.get("db"), "held by its finalizer");
            await().atMost(WAIT).until(() -> sts.get("db") == null);
            client.pods().inNamespace(namespace).withLabel("app", "db").delete();
            await().atMost(WAIT).until(() -> range(0, 3).stream().allMatch(o -> sts.claim("data-db-" + o) == null));
            await().atMost(WAIT).until(() -> timeline.indexOf("statefulset gone") >= 0);
        }

        int gone = timeline.indexOf("statefulset gone");
        for (int ordinal = 0; ordinal < 3; ordinal++) {
            String claim = "data-db-" + ordinal;
            String snapshot = snapshotOf(claim).orElseThrow().getMetadata().getName();
            int readyAt = timeline.indexOf("ready " + snapshot);
            assertTrue(readyAt >= 0 && readyAt < gone, "the StatefulSet went only after " + snapshot + " was ready: " + timeline.entries());
            assertTrue(readyAt < timeline.indexOf("deleted " + claim), timeline.entries().toString());
        }
        // The snapshots outlive the claims and the StatefulSet.
        assertEquals(3, snapshotter.snapshots().size());
        await().atMost(WAIT).until(() -> eventReasons("PersistentVolumeClaim", "data-db-0")
                .containsAll(List.of("SnapshotRequested", "SnapshotReady", "ClaimDeleted")));
    }

    @Test
    void removingTheAnnotationReleasesClaimsAndStatefulSet() {
        sts.create("web", 2, "Retain", "Delete", Map.of(ANNOTATION, "true"));
        awaitFinalizers("web", range(0, 2));
        await().atMost(WAIT).until(() -> finalizers(sts.get("web").getMetadata().getFinalizers()).contains(FINALIZER));
        client.apps().statefulSets().inNamespace(namespace).withName("web").edit(s -> new StatefulSetBuilder(s)
                .editMetadata().removeFromAnnotations(ANNOTATION).endMetadata().build());
        await().atMost(WAIT).until(() -> range(0, 2).stream().noneMatch(o -> finalizers(sts.claim("data-web-" + o)
                .getMetadata().getFinalizers()).contains(FINALIZER))
                && !finalizers(sts.get("web").getMetadata().getFinalizers()).contains(FINALIZER));
        sts.scale("web", 1);
        await().atMost(WAIT).until(() -> sts.ordinals("web").equals(range(0, 1)));
        assertEquals(Optional.empty(), snapshotOf("data-web-1"), "no snapshot without the annotation");
    }

    @Test
    void aClaimDeletedByHandIsHeldAndReportsWhyTheSnapshotCannotStart() {
        sts.create("web", 1, "Retain", "Retain", Map.of(ANNOTATION, "true"));
        awaitFinalizers("web", range(0, 1));
        client.persistentVolumeClaims().inNamespace(namespace).withName("data-web-0").delete();
        // The real snapshot controller does not start a snapshot of a claim being deleted; the claim stays, and
        // the Warning says so and what to do.
        await().atMost(WAIT).until(() -> warnings("PersistentVolumeClaim", "data-web-0").stream()
                .anyMatch(e -> e.getMessage().contains("cannot add finalizer on claim because it is being deleted")));
        assertNotNull(sts.claim("data-web-0"));
        client.apps().statefulSets().inNamespace(namespace).withName("web").edit(s -> new StatefulSetBuilder(s)
                .editMetadata().addToAnnotations(ANNOTATION, "false").endMetadata().build());
        await().atMost(WAIT).until(() -> sts.claim("data-web-0") == null);
    }

    private void awaitFinalizers(String set, java.util.Set<Integer> ordinals) {
        await().atMost(WAIT).until(() -> ordinals.stream().allMatch(o -> {
            PersistentVolumeClaim claim = sts.claim("data-" + set + "-" + o);
            return claim != null && finalizers(claim.getMetadata().getFinalizers()).contains(FINALIZER);
        }));
    }

    private static List<String> finalizers(List<String> finalizers) {
        return finalizers == null ? List.of() : finalizers;
    }

    private Optional<GenericKubernetesResource> snapshotOf(String claim) {
        return snapshotter.snapshots().stream().filter(s -> claim.equals(SnapshotControllerEmulator.source(s))).findFirst();
    }

    private List<Event> events(String kind, String name) {
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> kind.equals(e.getInvolvedObject().getKind()) && name.equals(e.getInvolvedObject().getName()))
                .toList();
    }

    private List<String> eventReasons(String kind, String name) {
        return events(kind, name).stream().map(Event::getReason).toList();
    }

    private List<Event> warnings(String kind, String name) {
        return events(kind, name).stream().filter(e -> "Warning".equals(e.getType())).toList();
    }

    private double counter(String result) {
        var counter = registry.find("ordinal.controller.snapshots").tag("result", result).counter();
        return counter == null ? 0 : counter.count();
    }
}
