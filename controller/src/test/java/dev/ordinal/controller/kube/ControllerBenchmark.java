package dev.ordinal.controller.kube;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.mockwebserver.http.Dispatcher;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The companion controller at scale against fabric8's CRUD test server (standalone, in this JVM; no Quarkus):
 * 1,000 StatefulSets of 10 replicas in 100 namespaces (10,000 claims and 10,000 Pods) plus one of 150 replicas,
 * all Delete/Delete and converged (claims controlled by their StatefulSet), as a restarted controller finds them.
 * It prints: the time from {@link OrdinalController#start()} to informers synced and to the first reconcile of
 * every StatefulSet done; the used heap after a full GC before the controller started and after its first pass
 * (the difference is the controller's); and a scale-down of the big set 150 -> 50: the time until all 100
 * scaled-down claims are handed to their Pods (owner references set), and, once the Pods are deleted, until all
 * 100 claims are deleted. It asserts only that the work was done, never a time (BENCHMARKS.md has the figures).
 * Not a test (the name does not end in Test); run by hand:
 *
 * <pre>
 * JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 ./mvnw -B -o -pl controller test -Dtest=ControllerBenchmark \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * {@code -Dbench.sets=N}, {@code -Dbench.replicas=N} and {@code -Dbench.namespaces=N} change the shape.
 */
class ControllerBenchmark {

    private static final int SETS = Integer.getInteger("bench.sets", 1000);
    private static final int REPLICAS = Integer.getInteger("bench.replicas", 10);
    private static final int NAMESPACES = Integer.getInteger("bench.namespaces", 100);
    private static final String BIG_NAMESPACE = "bench-big";
    private static final int BIG_FROM = 150;
    private static final int BIG_TO = 50;
    private static final String CLASS = "ordinal-bench";

    private final KubernetesCrudDispatcher store = new KubernetesCrudDispatcher();
    /** Time the test server spent answering the controller, and how many requests: to tell its cost from ours. */
    private final AtomicLong serverNanos = new AtomicLong();
    private final AtomicLong serverRequests = new AtomicLong();
    private final ConcurrentHashMap<String, AtomicLong> byKind = new ConcurrentHashMap<>();

    @Test
    void coldStartAndScaleDown() throws Exception {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new Dispatcher() {
                    @Override
                    public MockResponse dispatch(RecordedRequest request) {
                        long begin = System.nanoTime();
                        try {
                            return store.dispatch(request);
                        } finally {
                            long took = System.nanoTime() - begin;
                            serverNanos.addAndGet(took);
                            serverRequests.incrementAndGet();
                            String kind = request.getMethod() + " " + request.getPath().replaceAll("/namespaces/[^/]+", "")
                                    .replaceAll("\\?.*", "?").replaceAll("/(data|set|big|pvc)-[^/]*$", "/NAME");
                            byKind.computeIfAbsent(kind, k -> new AtomicLong()).addAndGet(took);
                        }
                    }
                }, false);
        server.init();
        try (KubernetesClient client = server.createClient()) {
            long seeding = System.nanoTime();
            post("/apis/storage.k8s.io/v1/storageclasses", new StorageClassBuilder().withNewMetadata().withName(CLASS)
                    .endMetadata().withProvisioner("ordinal.csi.dev").build());
            for (int i = 0; i < SETS; i++) {
                seedSet("bench-" + (i % NAMESPACES), "set-" + i, REPLICAS);
            }
            seedSet(BIG_NAMESPACE, "big", BIG_FROM);
            int claims = SETS * REPLICAS + BIG_FROM;
            System.out.printf("BENCH seeded %d StatefulSets, %d claims, %d Pods in %d namespaces in %.1f s%n",
                    SETS + 1, claims, claims, NAMESPACES + 1, seconds(seeding));

            long heapBefore = usedHeapAfterGc();
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            Settings settings = new Settings("bench", "default", "ordinal-controller", Duration.ofSeconds(15),
                    Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofMinutes(5));
            long start = System.nanoTime();
            try (OrdinalController controller = new OrdinalController(client, registry, settings, Clock.systemUTC()).start()) {
                double synced = seconds(start);
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(5)).until(() ->
                        registry.timer("ordinal.controller.reconcile.duration").count() >= SETS + 1
                                && registry.get("ordinal.controller.queue.depth").gauge().value() == 0);
                double firstPass = seconds(start);
                report("cold start");
                long reconciles = registry.timer("ordinal.controller.reconcile.duration").count();
                double meanMs = registry.timer("ordinal.controller.reconcile.duration").mean(TimeUnit.MILLISECONDS);
                long heapAfter = usedHeapAfterGc();
                System.out.printf("BENCH cold start: informers synced after %.2f s, first reconcile of all %d StatefulSets done "
                        + "after %.2f s (%d reconciles, mean %.2f ms)%n", synced, SETS + 1, firstPass, reconciles, meanMs);
                System.out.printf("BENCH heap after full GC: %.1f MiB before the controller started (test server and its "
                        + "store), %.1f MiB after its first pass: the controller holds %.1f MiB%n",
                        mib(heapBefore), mib(heapAfter), mib(heapAfter - heapBefore));

                // Counted from a watch, not by listing: the benchmark's own lists would load the test server.
                Set<String> podOwned = ConcurrentHashMap.newKeySet();
                Set<String> gone = ConcurrentHashMap.newKeySet();
                Watch watch = client.persistentVolumeClaims().inNamespace(BIG_NAMESPACE)
                        .watch(new Watcher<>() {
                            @Override
                            public void eventReceived(Action action, PersistentVolumeClaim claim) {
                                if (action == Action.DELETED) {
                                    gone.add(claim.getMetadata().getName());
                                } else if (claim.getMetadata().getOwnerReferences() != null && claim.getMetadata()
                                        .getOwnerReferences().stream().anyMatch(r -> "Pod".equals(r.getKind()))) {
                                    podOwned.add(claim.getMetadata().getName());
                                }
                            }

                            @Override
                            public void onClose(WatcherException cause) {
                            }
                        });
                report("(between phases)");
                // Scale-down: replicas 150 -> 50 while the Pods still run (the StatefulSet controller deletes them
                // next): handled = each scaled-down claim handed to its Pod.
                long scaled = System.nanoTime();
                client.apps().statefulSets().inNamespace(BIG_NAMESPACE).withName("big")
                        .edit(s -> new StatefulSetBuilder(s).editSpec().withReplicas(BIG_TO).endSpec().build());
                await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(2)).until(() -> podOwned.size() == BIG_FROM - BIG_TO);
                double handed = seconds(scaled);
                report("pod references");
                long podsGone = System.nanoTime();
                for (int ordinal = BIG_TO; ordinal < BIG_FROM; ordinal++) {
                    store.dispatch(request(HttpMethod.DELETE, "/api/v1/namespaces/" + BIG_NAMESPACE + "/pods/big-" + ordinal, ""));
                }
                double podsDeleted = seconds(podsGone);
                await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(2)).until(() -> gone.size() == BIG_FROM - BIG_TO);
                double deleted = seconds(podsGone);
                report("deletions");
                System.out.printf("BENCH scale-down %d -> %d: all %d claims handed to their Pods %.0f ms after the scale; "
                        + "Pods deleted in %.0f ms, then all %d claims deleted %.0f ms after the first Pod deletion%n",
                        BIG_FROM, BIG_TO, BIG_FROM - BIG_TO, handed * 1000, podsDeleted * 1000, BIG_FROM - BIG_TO, deleted * 1000);
                watch.close();
                assertEquals(BIG_TO, client.persistentVolumeClaims().inNamespace(BIG_NAMESPACE).list().getItems().size());
            }
        } finally {
            server.destroy();
        }
    }

    private void report(String phase) {
        System.out.printf("BENCH   %s: test server busy %.2f s answering %d requests%n", phase, serverNanos.get() / 1e9, serverRequests.get());
        byKind.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue().get(), a.getValue().get())).limit(6)
                .forEach(e -> System.out.printf("BENCH     %s %.2f s%n", e.getKey(), e.getValue().get() / 1e9));
        serverNanos.set(0);
        serverRequests.set(0);
        byKind.clear();
    }

    /** A converged StatefulSet (Delete/Delete): its claims controlled by it, as the controller leaves them. */
    private void seedSet(String namespace, String name, int replicas) {
        StatefulSet set = post("/apis/apps/v1/namespaces/" + namespace + "/statefulsets", new StatefulSetBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec().withReplicas(replicas).withServiceName(name)
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("busybox").endContainer().endSpec().endTemplate()
                .addNewVolumeClaimTemplate().withNewMetadata().withName("data").endMetadata()
                .withNewSpec().withStorageClassName(CLASS).withAccessModes("ReadWriteOnce")
                .withNewResources().withRequests(Map.of("storage", new Quantity("1Gi"))).endResources().endSpec()
                .endVolumeClaimTemplate()
                .withNewPersistentVolumeClaimRetentionPolicy().withWhenDeleted("Delete").withWhenScaled("Delete")
                .endPersistentVolumeClaimRetentionPolicy()
                .endSpec().build());
        OwnerReference owner = new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("StatefulSet")
                .withName(name).withUid(set.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true).build();
        for (int ordinal = 0; ordinal < replicas; ordinal++) {
            String claim = "data-" + name + "-" + ordinal;
            post("/api/v1/namespaces/" + namespace + "/persistentvolumeclaims", new PersistentVolumeClaimBuilder()
                    .withNewMetadata().withName(claim).withNamespace(namespace).withLabels(Map.of("app", name))
                    .withOwnerReferences(owner).endMetadata()
                    .withNewSpec().withStorageClassName(CLASS).withAccessModes("ReadWriteOnce").withVolumeName("pvc-" + namespace + "-" + claim)
                    .withNewResources().withRequests(Map.of("storage", new Quantity("1Gi"))).endResources().endSpec()
                    .withNewStatus().withPhase("Bound").endStatus().build());
            post("/api/v1/namespaces/" + namespace + "/pods", new PodBuilder().withNewMetadata().withName(name + "-" + ordinal)
                    .withNamespace(namespace).withLabels(Map.of("app", name)).withOwnerReferences(owner).endMetadata()
                    .withNewSpec().addNewContainer().withName("app").withImage("busybox").endContainer()
                    .addNewVolume().withName("data").withNewPersistentVolumeClaim().withClaimName(claim)
                    .endPersistentVolumeClaim().endVolume().withNodeName("node-" + (ordinal % 50)).endSpec().build());
        }
    }

    /** Straight into the store, not over HTTP: seeding 20,000 objects would take longer than what is measured. */
    @SuppressWarnings("unchecked")
    private <T extends HasMetadata> T post(String path, T object) {
        MockResponse response = store.dispatch(request(HttpMethod.POST, path, Serialization.asJson(object)));
        return (T) Serialization.unmarshal(response.getBody().readUtf8(), object.getClass());
    }

    private static RecordedRequest request(HttpMethod method, String path, String body) {
        return new RecordedRequest("HTTP/1.1", method, path, Headers.builder().add("Content-Type", "application/json").build(),
                new Buffer().writeUtf8(body));
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(100);
            least = Math.min(least, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return least;
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
