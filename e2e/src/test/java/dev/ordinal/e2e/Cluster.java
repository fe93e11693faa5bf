package dev.ordinal.e2e;

import static org.awaitility.Awaitility.await;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.allocator.model.Topology;
import dev.ordinal.contract.crd.OrdinalVolume;
import dev.ordinal.controller.kube.OrdinalController;
import dev.ordinal.controller.kube.Settings;
import dev.ordinal.csi.v1.GetCapacityRequest;
import dev.ordinal.driver.DriverAssembly;
import dev.ordinal.driver.DriverMode;
import dev.ordinal.driver.cluster.ClusterSettings;
import dev.ordinal.driver.local.DiskSetup;
import dev.ordinal.driver.nfs.NfsSettings;
import dev.ordinal.driver.volume.VolumeLocks;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A whole Ordinal cluster in this JVM: a Kubernetes API (fabric8's mock server in CRUD mode), the driver in cluster
 * mode (one controller-mode process and a node agent per node, each serving its own unix socket, each with a
 * Kubernetes client of its own as separate processes have), the companion controller, and emulators of the
 * Kubernetes parts that are not there: the StatefulSet controller, the PV controller, external-provisioner and
 * kubelet. Nodes have one {@code dir} disk each, under a directory of /tmp/ordinal-test. The real components
 * (dev.ordinal.e2e.kube, `make e2e`) do not replace these emulators: only here can a test pause a controller
 * mid-way and see every CSI call, in seconds and without building Kubernetes.
 */
final class Cluster implements AutoCloseable {

    static final String DRIVER = "ordinal.csi.dev";
    static final List<String> NODES = List.of("node-a", "node-b");
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final List<AutoCloseable> running = new ArrayList<>();
    private final TestDirectory directory = TestDirectory.create("e2e");
    private final Map<String, CsiEndpoint> nodes = new LinkedHashMap<>();
    private final History history = new History();
    private KubernetesMockServer server;
    private KubernetesClient client;
    private CsiEndpoint controllerDriver;
    private OrdinalController controller;
    private StatefulSetController statefulSets;
    private PersistentVolumeController volumes;
    private Kubelet kubelet;

    Cluster() {
        try {
            start();
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    private void start() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new RecordingDispatcher(history), false);
        server.init();
        running.add(server::destroy);
        client = client();
        // The companion controller needs nothing of the driver: it starts (informers, election) meanwhile.
        KubernetesClient controllerClient = client();
        CompletableFuture<OrdinalController> controllerStarting = CompletableFuture.supplyAsync(() ->
                new OrdinalController(controllerClient, new SimpleMeterRegistry(),
                        new Settings("e2e-controller", "default", "ordinal-controller", Duration.ofSeconds(2),
                                Duration.ofMillis(1500), Duration.ofMillis(200), Duration.ofSeconds(30)),
                        Clock.systemUTC()).start());
        running.add(() -> controllerStarting.join().close());

        for (String node : NODES) {
            DriverAssembly agent = DriverAssembly.build(settings(DriverMode.NODE, node));
            nodes.put(node, started(CsiEndpoint.serve(agent, directory.path().resolve(node + "/csi.sock"))));
        }
        kubelet = new Kubelet(client(), nodes, directory.path());
        NODES.forEach(kubelet::register);
        controllerDriver = started(CsiEndpoint.serve(DriverAssembly.build(settings(DriverMode.CONTROLLER, "controller")),
                directory.path().resolve("controller/csi.sock")));
        // The controller places volumes only on nodes whose agents have reported their disks.
        await().atMost(WAIT).until(() -> NODES.stream().allMatch(node -> controllerDriver.controller()
                .getCapacity(GetCapacityRequest.newBuilder().putParameters("layout", "dir")
                        .setAccessibleTopology(dev.ordinal.csi.v1.Topology.newBuilder()
                                .putSegments(Topology.NODE_KEY, node)).build())
                .getAvailableCapacity() > 0));

        controller = controllerStarting.join();
        await().atMost(WAIT).until(controller::isLeader);

        statefulSets = started(new StatefulSetController(client()));
        volumes = started(new PersistentVolumeController(client()));
        started(new ExternalProvisioner(client(), DRIVER, controllerDriver::controller, history));
    }

    private DriverAssembly.Settings settings(DriverMode mode, String node) {
        return new DriverAssembly.Settings(mode, new NodeName(node),
                mode == DriverMode.NODE ? List.of(DiskSetup.open(new DiskName("d1"), directory.dir(node + "/disks/d1"),
                        Optional.of(Capacity.ofMiB(1024)), true)) : List.of(),
                List.of(directory.path()), Map.of(), 0, Capacity.ofMiB(64), "e2e", new VolumeLocks(),
                NfsSettings.none(directory.path().resolve(node + "/state")),
                // Agents re-read and report every second; orphans and unmatched PVs are reported only after far
                // longer than any test runs.
                Optional.of(new ClusterSettings(client(), Duration.ofSeconds(10), Duration.ofSeconds(1),
                        Duration.ofMinutes(10))));
    }

    /** A client of its own, as each separate process (and each emulated component) has. */
    private KubernetesClient client() {
        KubernetesClient made = server.createClient();
        running.add(made);
        return made;
    }

    private <T extends AutoCloseable> T started(T component) {
        running.add(component);
        return component;
    }

    KubernetesClient api() {
        return client;
    }

    History history() {
        return history;
    }

    OrdinalController controller() {
        return controller;
    }

    StatefulSetController statefulSetController() {
        return statefulSets;
    }

    PersistentVolumeController persistentVolumeController() {
        return volumes;
    }

    Kubelet kubelet() {
        return kubelet;
    }

    Path directory() {
        return directory.path();
    }

    List<Path> mounts() {
        return directory.mounts();
    }

    /** The volumes the driver holds: its OrdinalVolume resources. */
    List<OrdinalVolume> driverVolumes() {
        return client.resources(OrdinalVolume.class).list().getItems();
    }

    /** Where a node keeps a volume's directory, {@code local:<node>:<disk>:<name>}. */
    Path volumeDirectory(String volumeId) {
        String[] parts = volumeId.split(":");
        return directory.path().resolve(parts[1] + "/disks/" + parts[2] + "/volumes/" + parts[3]);
    }

    /** Stops everything, newest first, then removes the directory; returns the mounts it found still there. */
    @Override
    public void close() {
        for (int i = running.size() - 1; i >= 0; i--) {
            try {
                running.get(i).close();
            } catch (Exception e) {
                // Keep closing the rest: a component that failed to stop must not keep the others running.
            }
        }
        directory.close();
    }
}
