package dev.ordinal.controller.kube;

import static dev.ordinal.controller.kube.StatefulSetEmulator.range;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.mockwebserver.http.MockResponse;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 10: the controller against an API server that misbehaves ({@link FaultyApiServer}): conflicts on its
 * writes, watches that drop and expire, a Lease lost in the middle of a reconcile. Each test scales a StatefulSet
 * down under the fault and requires that it converges, and {@link ClaimWatch} checks for the whole test that no
 * claim of an ordinal below the replica count is ever deleted. Informer resync is 10 minutes here, so convergence
 * never comes from a resync.
 */
class ControllerFaultTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String NAMESPACE = "faults";

    private FaultyApiServer api;
    private KubernetesClient client;
    private StatefulSetEmulator sts;
    private Timeline timeline;
    private ClaimWatch claims;

    @BeforeEach
    void setUp() {
        api = new FaultyApiServer();
        client = api.client();
        sts = new StatefulSetEmulator(client, NAMESPACE);
        timeline = new Timeline();
        claims = new ClaimWatch(client, NAMESPACE, timeline);
    }

    @AfterEach
    void tearDown() {
        claims.close();
        client.close();
        api.close();
    }

    private OrdinalController controller(String identity, SimpleMeterRegistry registry) {
        Settings settings = new Settings(identity, "default", "ordinal-controller", Duration.ofSeconds(2),
                Duration.ofMillis(1500), Duration.ofMillis(200), Duration.ofMinutes(10));
        return new OrdinalController(api.client(), registry, settings, Clock.systemUTC()).start();
    }

    @Test
    void conflictsOnEveryClaimWriteAreRetriedOnFreshStateUntilItConverges() {
        // A concurrent writer (a backup tool labelling claims) changes the claim between the controller's read and
        // each of its next 12 writes: all 12 answered 409 by the store.
        api.conflictOnPatch("/api/v1/namespaces/" + NAMESPACE + "/persistentvolumeclaims/", 12,
                n -> "{\"metadata\":{\"labels\":{\"backup-generation\":\"" + n + "\"}}}");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (OrdinalController controller = controller("one", registry)) {
            await().atMost(WAIT).until(controller::isLeader);
            sts.create("web", 4, "Delete", "Delete", Map.of());
            await().atMost(WAIT).until(() -> range(0, 4).stream().allMatch(o -> sts.owners("data-web-" + o)
                    .equals(List.of("StatefulSet/web"))));
            Map<Integer, String> before = sts.claims("web");
            sts.scale("web", 2);
            await().atMost(WAIT).until(() -> sts.ordinals("web").equals(range(0, 2)));

            assertEquals(12, api.conflicts());
            assertTrue(registry.counter("ordinal.controller.reconcile.errors").count() >= 1, "conflicts were retried");
            for (int ordinal = 0; ordinal < 2; ordinal++) {
                assertEquals(before.get(ordinal), sts.claims("web").get(ordinal));
                assertEquals(List.of("StatefulSet/web"), sts.owners("data-web-" + ordinal));
            }
            // The concurrent writer's change survived: the controller wrote on fresh state, not over it.
            assertTrue(range(0, 2).stream().anyMatch(o -> sts.claim("data-web-" + o).getMetadata().getLabels()
                    .containsKey("backup-generation")));
            assertEquals(List.of(), claims.violations());
        }
    }

    @Test
    void watchesDroppedAndExpiredDuringAScaleDownStillConverge() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (OrdinalController controller = controller("one", registry)) {
            await().atMost(WAIT).until(controller::isLeader);
            sts.create("web", 6, "Retain", "Delete", Map.of());
            await().atMost(WAIT).until(() -> registry.get("ordinal.controller.queue.depth").gauge().value() == 0
                    && registry.timer("ordinal.controller.reconcile.duration").count() > 0);

            // Every watch breaks and stays away for 2 s (503); the scale-down happens meanwhile, unseen; the
            // watches then come back to "410 Gone" and the informers have to list again to catch up.
            api.outage(Duration.ofSeconds(2));
            api.dropWatches();
            sts.scale("web", 2);
            await().atMost(WAIT).until(() -> sts.ordinals("web").equals(range(0, 2)));
            assertTrue(api.expiredWatches() > 0, "watches came back to 410 Gone");

            // The watches work again: the next change is seen without any resync.
            sts.scale("web", 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> sts.ordinals("web").equals(range(0, 1)));
            assertEquals(List.of(), claims.violations());
        }
    }

    @Test
    void aLeaderThatLosesItsLeaseMidReconcileStopsAndTheNextOneFinishes() {
        // Each claim deletion is answered 1 s late, so deleting 38 claims (8 at a time) takes one reconcile ~5 s;
        // from the third deletion on, the first leader's Lease renewals fail (500), as on an overloaded API server.
        AtomicBoolean cut = new AtomicBoolean();
        AtomicInteger deletes = new AtomicInteger();
        api.fault(call -> {
            if ("DELETE".equals(call.method()) && call.path().startsWith("/api/v1/namespaces/" + NAMESPACE + "/persistentvolumeclaims/")
                    && deletes.incrementAndGet() == 3) {
                cut.set(true);
            }
            return Optional.empty();
        });
        api.slowDown("DELETE", "/api/v1/namespaces/" + NAMESPACE + "/persistentvolumeclaims/", Duration.ofSeconds(1));
        api.fault(call -> cut.get() && call.path().contains("/leases/ordinal-controller") && !"GET".equals(call.method())
                && call.body().contains("\"holderIdentity\":\"first\"")
                ? Optional.of(new MockResponse().setResponseCode(500).setBody("{\"kind\":\"Status\",\"code\":500}"))
                : Optional.empty());
        try (OrdinalController first = controller("first", new SimpleMeterRegistry())) {
            await().atMost(WAIT).until(first::isLeader);
            try (OrdinalController second = controller("second", new SimpleMeterRegistry())) {
                sts.create("web", 40, "Retain", "Delete", Map.of());
                await().atMost(WAIT).until(() -> sts.ordinals("web").equals(range(0, 40)));
                Map<Integer, String> before = sts.claims("web");
                sts.scale("web", 2);
                await().atMost(WAIT).until(() -> sts.ordinals("web").equals(range(0, 2)));
                await().atMost(WAIT).until(second::isLeader);
                assertFalse(first.isLeader());
                // The ClaimDeleted Event of the last deletion may follow the deletion by a moment.
                await().atMost(WAIT).until(() -> deletedBy().keySet().size() == 38);
                Map<String, Set<String>> deletedBy = deletedBy();
                assertEquals(Set.of("first", "second"), deletedBy.values().stream().flatMap(Set::stream).collect(Collectors.toSet()),
                        "the first leader deleted some, the second the rest: " + deletedBy);
                for (int ordinal = 2; ordinal < 40; ordinal++) {
                    assertEquals(1, claims.deletions("data-web-" + ordinal));
                    assertEquals(1, deletedBy.get("data-web-" + ordinal).size(), "deleted by one leader only: " + deletedBy);
                }
                assertEquals(before.get(0), sts.claims("web").get(0));
                assertEquals(before.get(1), sts.claims("web").get(1));
                assertEquals(List.of(), claims.violations());
            }
        }
    }

    /** Who deleted each claim, by the ClaimDeleted Events' reporting instance. */
    private Map<String, Set<String>> deletedBy() {
        return client.v1().events().inNamespace(NAMESPACE).list().getItems().stream()
                .filter(e -> "ClaimDeleted".equals(e.getReason()) && "PersistentVolumeClaim".equals(e.getInvolvedObject().getKind()))
                .collect(Collectors.groupingBy(e -> e.getInvolvedObject().getName(),
                        Collectors.mapping(Event::getReportingInstance, Collectors.toSet())));
    }
}
