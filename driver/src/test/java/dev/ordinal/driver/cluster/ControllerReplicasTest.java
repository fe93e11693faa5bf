package dev.ordinal.driver.cluster;

import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.assertStatus;
import static dev.ordinal.driver.support.Csi.create;
import static dev.ordinal.driver.support.Csi.mount;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.contract.crd.OrdinalVolume;
import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.GetCapacityRequest;
import dev.ordinal.csi.v1.Topology;
import dev.ordinal.csi.v1.TopologyRequirement;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.driver.DriverAssembly;
import dev.ordinal.driver.DriverMode;
import dev.ordinal.driver.local.DiskSetup;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.support.ClusterRecords;
import dev.ordinal.driver.support.TestRoot;
import dev.ordinal.driver.volume.VolumeLocks;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two controller replicas of the driver on one cluster (Quarkus' Kubernetes test server in CRUD mode, node agents
 * in this JVM), with the Lease csi-provisioner holds written here as the provisioner of one pod or the other would
 * write it (a random identity, renewed every quarter second), and each pod's provisioner's leader-election gauge
 * served over HTTP as csi-provisioner serves it: only the replica of the holder's pod places and deletes, the other
 * answers UNAVAILABLE naming the holder; a replica whose term begins decides from what the other placed meanwhile, not from its start; and one
 * whose Lease was not renewed in time (frozen, cut off) writes nothing.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class ControllerReplicasTest {

    private static final String NAMESPACE = "ordinal";
    private static final String LEASE = "ordinal-csi-dev";
    /** As csi-provisioner's lease duration and renew deadline, scaled down so that a takeover takes seconds. */
    private static final Duration LEASE_DURATION = Duration.ofSeconds(3);
    private static final Duration RENEW_DEADLINE = Duration.ofSeconds(2);

    @KubernetesTestServer
    KubernetesServer kubernetes;
    private KubernetesMockServer server;
    private TestRoot root;
    private final List<AutoCloseable> running = new ArrayList<>();
    private ControllerGrpc.ControllerBlockingStub podA;
    private ControllerGrpc.ControllerBlockingStub podB;
    private Provisioners provisioners;
    /** csi-provisioner's identities in the Lease: its start time, a random number, the driver name. */
    private static final String PROVISIONER_A = "1796688358966-7822-ordinal.csi.dev";
    private static final String PROVISIONER_B = "1796688359012-4410-ordinal.csi.dev";

    @BeforeEach
    void start() throws Exception {
        server = kubernetes.getKubernetesMockServer();
        root = TestRoot.create("replicas");
        for (String node : List.of("node-a", "node-b")) {
            running.add(DriverAssembly.build(settings(DriverMode.NODE, node, List.of(disk(node)), Optional.empty())));
        }
        provisioners = new Provisioners(server.createClient());
        running.add(provisioners);
        provisioners.lead(PROVISIONER_A);
        // Both replicas start (and load their models) before anything is placed.
        podA = replica("ctrl-a", provisioners.metrics(PROVISIONER_A));
        podB = replica("ctrl-b", provisioners.metrics(PROVISIONER_B));
        await().atMost(Duration.ofSeconds(20)).until(() -> capacity(podA) == 2 * 100 * MIB
                && capacity(podB) == 2 * 100 * MIB);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
        running.clear();
        KubernetesClient client = server.createClient();
        ClusterRecords.deleteAll(client);
        client.leases().inNamespace(NAMESPACE).delete();
        root.close();
    }

    @Test
    void onlyTheReplicaOfTheLeaseHoldersPodPlacesTheOtherAnswersUnavailableNamingTheHolder() {
        String refused = assertStatus(Status.Code.UNAVAILABLE, () -> podB.createVolume(pinned("v1", 10 * MIB,
                "node-a")));
        assertTrue(refused.contains("ctrl-b") && refused.contains("held by " + PROVISIONER_A), refused);
        assertEquals(List.of(), server.createClient().resources(OrdinalVolume.class).list().getItems());

        Volume placed = podA.createVolume(pinned("v1", 10 * MIB, "node-a")).getVolume();
        assertTrue(Files.isDirectory(dataOf(placed)));
        assertEquals("ctrl-a", resourceNamed("v1").getMetadata().getAnnotations().get(ClusterVolumes.PLACED_BY));
        assertStatus(Status.Code.UNAVAILABLE, () -> podB.deleteVolume(DeleteVolumeRequest.newBuilder()
                .setVolumeId(placed.getVolumeId()).build()));
        assertTrue(Files.isDirectory(dataOf(placed)), "the replica that does not lead deleted nothing");
    }

    @Test
    void aReplicaWhoseTermBeginsPlacesAndDeletesFromWhatTheOtherPlacedMeanwhile() {
        Volume big = podA.createVolume(pinned("big", 90 * MIB, "node-a")).getVolume();
        // ctrl-a's pod is gone: its provisioner no longer renews, and ctrl-b's takes the Lease over once it expired.
        provisioners.takeOver(PROVISIONER_B);

        // ctrl-b loaded its model before "big" existed: from that model node-a would have room for 20 MiB more.
        // (Once its driver has seen its provisioner's gauge say it leads: within half a second.)
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            String full = assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> podB.createVolume(pinned("more",
                    20 * MIB, "node-a")));
            assertTrue(full.contains("10 MiB") && full.contains("20 MiB"), full);
        });
        // ... and it would answer OK to deleting a volume it never heard of, leaving the data.
        podB.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(big.getVolumeId()).build());
        assertFalse(Files.exists(dataOf(big)));
        assertEquals(null, resourceNamed("big"));
        assertEquals(2 * 100 * MIB, capacity(podB));
        // ctrl-a's driver is still running (only its provisioner stopped): it knows it no longer leads.
        String refused = assertStatus(Status.Code.UNAVAILABLE, () -> podA.createVolume(pinned("late", 10 * MIB,
                "node-b")));
        assertTrue(refused.contains("held by " + PROVISIONER_B), refused);
        assertEquals(null, resourceNamed("late"));
    }

    @Test
    void aReplicaWhosePodStoppedRenewingTheLeaseWritesNothingOnceTheRenewDeadlinePassed() {
        podA.createVolume(pinned("before", 10 * MIB, "node-a"));
        // ctrl-a's pod is frozen: its provisioner stops renewing. The Lease still names ctrl-a, and no other pod may
        // take it before it expires; ctrl-a's driver stops writing before that, at the renew deadline.
        java.time.Instant lastRenewal = provisioners.freeze();
        await().atMost(Duration.ofSeconds(20)).until(() -> java.time.Instant.now()
                .isAfter(lastRenewal.plus(RENEW_DEADLINE)));
        String refused = assertStatus(Status.Code.UNAVAILABLE, () -> podA.createVolume(pinned("after", 10 * MIB,
                "node-a")));
        assertTrue(refused.contains("not the leader") && refused.contains("held by " + PROVISIONER_A), refused);
        assertEquals(null, resourceNamed("after"));
    }

    /**
     * The csi-provisioners of the two pods as their leader election treats the Lease: the holder renews it every
     * quarter second; another takes it only once it expired (no renewal for the lease duration).
     */
    private static final class Provisioners implements AutoCloseable {

        private final KubernetesClient client;
        private final java.util.concurrent.ScheduledExecutorService renewing =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        private volatile String holder = "";
        private volatile java.time.Instant lastRenewal = java.time.Instant.EPOCH;
        private int transitions;
        private java.util.concurrent.ScheduledFuture<?> renewal;
        /** The provisioners that believe they lead (a frozen one goes on believing). */
        private final java.util.Set<String> believers = java.util.concurrent.ConcurrentHashMap.newKeySet();
        private final List<com.sun.net.httpserver.HttpServer> servers = new ArrayList<>();

        Provisioners(KubernetesClient client) {
            this.client = client;
        }

        /**
         * The provisioner's diagnostics endpoint, as its pod's driver reads it: the leader-election gauge is 1 while
         * that provisioner believes it leads (a frozen one still does).
         */
        java.net.URI metrics(String identity) throws java.io.IOException {
            com.sun.net.httpserver.HttpServer http = com.sun.net.httpserver.HttpServer.create(
                    new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
            http.createContext("/metrics", exchange -> {
                byte[] body = ("# TYPE leader_election_master_status gauge\n"
                        + "leader_election_master_status{name=\"\"} " + (believers.contains(identity) ? 1 : 0)
                        + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            http.start();
            servers.add(http);
            return java.net.URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/metrics");
        }

        synchronized void lead(String identity) {
            believers.add(identity);
            holder = identity;
            write(ZonedDateTime.now(ZoneOffset.UTC), true);
            renewal = renewing.scheduleWithFixedDelay(() -> write(ZonedDateTime.now(ZoneOffset.UTC), false), 250,
                    250, java.util.concurrent.TimeUnit.MILLISECONDS);
        }

        /** The holder's pod stops; returns when it renewed last. */
        synchronized java.time.Instant freeze() {
            renewal.cancel(false);
            await().atMost(Duration.ofSeconds(5)).until(renewal::isDone);
            return lastRenewal;
        }

        /** The holder's pod is gone: its provisioner no longer renews, nor says it leads. */
        void takeOver(String identity) {
            java.time.Instant last = freeze();
            believers.remove(holder);
            await().atMost(Duration.ofSeconds(20)).until(() -> java.time.Instant.now()
                    .isAfter(last.plus(LEASE_DURATION)));
            synchronized (this) {
                transitions++;
            }
            lead(identity);
        }

        private synchronized void write(ZonedDateTime now, boolean acquired) {
            Lease current = client.leases().inNamespace(NAMESPACE).withName(LEASE).get();
            Lease lease = new LeaseBuilder().withNewMetadata().withName(LEASE).withNamespace(NAMESPACE).endMetadata()
                    .withNewSpec().withHolderIdentity(holder)
                    .withLeaseDurationSeconds((int) LEASE_DURATION.toSeconds())
                    .withAcquireTime(acquired || current == null ? now : current.getSpec().getAcquireTime())
                    .withRenewTime(now).withLeaseTransitions(transitions).endSpec().build();
            if (current == null) {
                client.leases().inNamespace(NAMESPACE).resource(lease).create();
            } else {
                client.leases().inNamespace(NAMESPACE).withName(LEASE).edit(l -> {
                    l.setSpec(lease.getSpec());
                    return l;
                });
            }
            lastRenewal = now.toInstant();
        }

        @Override
        public void close() {
            renewing.shutdownNow();
            servers.forEach(server -> server.stop(0));
        }
    }

    private ControllerGrpc.ControllerBlockingStub replica(String pod, java.net.URI provisionerMetrics)
            throws Exception {
        DriverAssembly assembly = DriverAssembly.build(settings(DriverMode.CONTROLLER, pod, List.of(),
                Optional.of(new ClusterSettings.LeaderElection(NAMESPACE, LEASE, pod, provisionerMetrics,
                        RENEW_DEADLINE))));
        running.add(assembly);
        String name = InProcessServerBuilder.generateName();
        InProcessServerBuilder builder = InProcessServerBuilder.forName(name);
        assembly.services().forEach(builder::addService);
        Server grpc = builder.build().start();
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        running.add(() -> {
            channel.shutdownNow();
            grpc.shutdownNow();
        });
        return ControllerGrpc.newBlockingStub(channel);
    }

    private LocalDisk disk(String node) {
        return DiskSetup.open(new DiskName("d1"), root.dir(node + "/disks/d1"), Optional.of(Capacity.ofMiB(100)),
                true);
    }

    private DriverAssembly.Settings settings(DriverMode mode, String node, List<LocalDisk> disks,
            Optional<ClusterSettings.LeaderElection> election) {
        return new DriverAssembly.Settings(mode, new NodeName(node), disks, List.of(root.path()), Map.of(), 0,
                Capacity.ofMiB(64), "test", new VolumeLocks(),
                dev.ordinal.driver.nfs.NfsSettings.none(root.path().resolve(node + "/state")),
                Optional.of(new ClusterSettings(server.createClient(), Duration.ofSeconds(10), Duration.ofSeconds(1),
                        Duration.ofSeconds(1), election)));
    }

    private static CreateVolumeRequest pinned(String name, long bytes, String node) {
        return create(name, bytes, "dir", mount("")).toBuilder().setAccessibilityRequirements(TopologyRequirement
                .newBuilder().addRequisite(Topology.newBuilder().putSegments("topology.ordinal.csi.dev/node", node)))
                .build();
    }

    private static long capacity(ControllerGrpc.ControllerBlockingStub controller) {
        return controller.getCapacity(GetCapacityRequest.newBuilder().putParameters("layout", "dir").build())
                .getAvailableCapacity();
    }

    private Path dataOf(Volume volume) {
        String[] parts = volume.getVolumeId().split(":");
        return root.path().resolve(parts[1] + "/disks/" + parts[2] + "/volumes/" + parts[3] + "/data");
    }

    private OrdinalVolume resourceNamed(String name) {
        return server.createClient().resources(OrdinalVolume.class).withName(name).get();
    }
}
