package dev.ordinal.driver.cluster;

import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.create;
import static dev.ordinal.driver.support.Csi.mount;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.contract.crd.OrdinalNode;
import dev.ordinal.contract.crd.OrdinalVolume;
import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.GetCapacityRequest;
import dev.ordinal.driver.DriverAssembly;
import dev.ordinal.driver.DriverMode;
import dev.ordinal.driver.local.DiskSetup;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.support.TestRoot;
import dev.ordinal.driver.volume.VolumeLocks;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * End-to-end CreateVolume and DeleteVolume in cluster mode, through the resources, against Quarkus' Kubernetes
 * test server in CRUD mode: one controller and three node agents in this JVM (dir layout, one 32 GiB disk each),
 * the controller's real gRPC service over the in-process transport. It prints latency percentiles and volumes/s
 * for 1,000 volumes at concurrency 1 and 4. It asserts only that every call succeeded and that nothing is left
 * behind: speed is reported (BENCHMARKS.md), never asserted. Not a test (the name does not end in Test); run by
 * hand:
 *
 * <pre>
 * JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 ./mvnw -B -o -pl driver test -Dtest=ClusterCreateBenchmark \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * {@code -Dbench.volumes=N} and {@code -Dbench.warmup=N} change the counts (defaults 1,000 and 300).
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class ClusterCreateBenchmark {

    private static final int VOLUMES = Integer.getInteger("bench.volumes", 1000);
    private static final int WARMUP = Integer.getInteger("bench.warmup", 300);
    private static final List<String> NODES = List.of("node-a", "node-b", "node-c");
    // Below the free space of the filesystem the disks sit on: a node reports the lesser of its capacity override
    // and that free space (no space promised that is not there), and the checks below compare against this figure.
    // 3 x 32 GiB holds the 1,000 64 MiB volumes (62.5 GiB) with the default spread.
    private static final long DISK_BYTES = 32L * 1024 * MIB;
    private static final long VOLUME_BYTES = 64 * MIB;

    @KubernetesTestServer
    KubernetesServer kubernetes;
    private KubernetesMockServer server;

    private TestRoot root;
    private final List<AutoCloseable> running = new ArrayList<>();
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        server = kubernetes.getKubernetesMockServer();
        root = TestRoot.create("cluster-bench");
        for (String node : NODES) {
            running.add(DriverAssembly.build(settings(DriverMode.NODE, node, List.of(disk(node)))));
        }
        DriverAssembly controller = DriverAssembly.build(settings(DriverMode.CONTROLLER, "controller", List.of()));
        running.add(controller);
        String name = InProcessServerBuilder.generateName();
        InProcessServerBuilder builder = InProcessServerBuilder.forName(name);
        for (BindableService service : controller.services()) {
            builder.addService(service);
        }
        Server grpc = builder.build().start();
        channel = InProcessChannelBuilder.forName(name).build();
        running.add(() -> {
            channel.shutdownNow();
            grpc.shutdownNow();
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> capacity() == NODES.size() * DISK_BYTES);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
        running.clear();
        KubernetesClient client = server.createClient();
        for (OrdinalVolume volume : client.resources(OrdinalVolume.class).list().getItems()) {
            volume.getMetadata().setFinalizers(List.of());
            client.resource(volume).update();
        }
        client.resources(OrdinalVolume.class).delete();
        client.resources(OrdinalNode.class).delete();
        root.close();
    }

    @Test
    void createAndDeleteThroughTheResources() throws Exception {
        System.out.printf("%n=== cluster-mode CreateVolume/DeleteVolume: %d node agents, dir layout, %d MiB volumes, "
                + "%d volumes per run, %d cores ===%n", NODES.size(), VOLUME_BYTES / MIB, VOLUMES,
                Runtime.getRuntime().availableProcessors());
        // Warm-up: JIT, the informers' watches, the mock server's paths; not reported.
        for (int concurrency : new int[] {1, 4}) {
            List<String> ids = new ArrayList<>();
            run("warm-up create c" + concurrency, WARMUP, concurrency, i -> createOne("warm" + concurrency), ids,
                    false);
            run("warm-up delete c" + concurrency, ids.size(), concurrency, i -> deleteOne(ids.get(i)), null, false);
        }
        List<String> results = new ArrayList<>();
        for (int concurrency : new int[] {1, 4}) {
            List<String> ids = new ArrayList<>();
            results.add(run("CreateVolume", VOLUMES, concurrency, i -> createOne("bench" + concurrency), ids, true));
            assertEquals(VOLUMES, server.createClient().resources(OrdinalVolume.class).list().getItems().size());
            results.add(run("DeleteVolume", VOLUMES, concurrency, i -> deleteOne(ids.get(i)), null, true));
        }
        assertTrue(server.createClient().resources(OrdinalVolume.class).list().getItems().isEmpty(),
                "every resource deleted");
        for (String node : NODES) {
            try (var left = Files.list(root.path().resolve(node + "/disks/d1/volumes"))) {
                assertEquals(0, left.count(), "volumes left on " + node);
            }
        }
        assertEquals(NODES.size() * DISK_BYTES, capacity());
        System.out.println();
        System.out.println("| RPC | concurrency | volumes | p50 ms | p90 ms | p99 ms | max ms | mean ms | volumes/s |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        results.forEach(System.out::println);
        System.out.println();
    }

    /** One call of a run, by index; returns the volume id it made or deleted. */
    private interface Call {
        String invoke(int index);
    }

    /** Runs {@code count} calls on {@code concurrency} threads; returns the table row (ids: the ids made). */
    private String run(String rpc, int count, int concurrency, Call call, List<String> ids, boolean report)
            throws Exception {
        long[] nanos = new long[count];
        String[] made = new String[count];
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        long start = System.nanoTime();
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < concurrency; w++) {
                workers.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                        long t0 = System.nanoTime();
                        made[i] = call.invoke(i);
                        nanos[i] = System.nanoTime() - t0;
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get(); // any failed call fails the run
            }
        } finally {
            pool.shutdownNow();
        }
        long wall = System.nanoTime() - start;
        if (ids != null) {
            ids.addAll(Arrays.asList(made));
        }
        Arrays.sort(nanos);
        double rate = count / (wall / 1e9);
        String line = String.format("| %s | %d | %,d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |", rpc, concurrency,
                count, ms(percentile(nanos, 50)), ms(percentile(nanos, 90)), ms(percentile(nanos, 99)),
                ms(nanos[count - 1]), ms((long) Arrays.stream(nanos).average().orElse(0)), rate);
        System.out.println((report ? "" : "(") + line + (report ? "" : ")"));
        return line;
    }

    private String createOne(String prefix) {
        String name = "pvc-" + UUID.randomUUID();
        return stub().createVolume(create(name, VOLUME_BYTES, "dir", mount("")).toBuilder()
                .putParameters("csi.storage.k8s.io/pvc/namespace", "bench")
                .putParameters("csi.storage.k8s.io/pvc/name", prefix + "-" + name.substring(4, 12))
                .putParameters("csi.storage.k8s.io/pv/name", name)
                .build()).getVolume().getVolumeId();
    }

    private String deleteOne(String volumeId) {
        stub().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(volumeId).build());
        return volumeId;
    }

    private ControllerGrpc.ControllerBlockingStub stub() {
        return ControllerGrpc.newBlockingStub(channel);
    }

    private static long percentile(long[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private long capacity() {
        return stub().getCapacity(GetCapacityRequest.newBuilder().putParameters("layout", "dir").build())
                .getAvailableCapacity();
    }

    private LocalDisk disk(String node) {
        return DiskSetup.open(new DiskName("d1"), root.dir(node + "/disks/d1"), Optional.of(Capacity.ofBytes(
                DISK_BYTES)), true);
    }

    /** The production defaults of cluster mode: ready timeout 60 s, resync 30 s, orphan grace 10 min. */
    private DriverAssembly.Settings settings(DriverMode mode, String node, List<LocalDisk> disks) {
        return new DriverAssembly.Settings(mode, new NodeName(node), disks, List.of(root.path()), Map.of(), 0,
                Capacity.ofMiB(64), "bench", new VolumeLocks(),
                dev.ordinal.driver.nfs.NfsSettings.none(root.path().resolve(node + "/state")),
                Optional.of(new ClusterSettings(server.createClient(), Duration.ofSeconds(60), Duration.ofSeconds(30),
                        Duration.ofMinutes(10))));
    }
}
