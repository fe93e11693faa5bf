package dev.ordinal.driver;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.driver.cluster.ClusterSettings;
import dev.ordinal.driver.csi.CsiSocketServer;
import dev.ordinal.driver.local.DiskSetup;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.metrics.DriverMetrics;
import dev.ordinal.driver.metrics.MetricsConfig;
import dev.ordinal.driver.nfs.NfsSettings;
import dev.ordinal.driver.nfs.UsageCache;
import dev.ordinal.driver.volume.VolumeLocks;
import dev.ordinal.driver.volume.Inventory;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Puts the driver together from its configuration at start-up: the disks, the allocator's model of this node,
 * the volume services, and the CSI socket. Volumes left on the disks are recovered before the socket serves.
 */
@Singleton
public class DriverRuntime {

    private static final Logger LOG = Logger.getLogger(DriverRuntime.class);

    private final DriverConfig config;
    private final MeterRegistry registry;
    private final MetricsConfig metricsConfig;
    private final String version;
    private volatile DriverMetrics metrics;
    private volatile CsiSocketServer server;
    private volatile DiskHealth health;

    private final jakarta.enterprise.inject.Instance<io.fabric8.kubernetes.client.KubernetesClient> kubernetes;
    private volatile DriverAssembly assembly;

    DriverRuntime(DriverConfig config, MeterRegistry registry, MetricsConfig metricsConfig,
            @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev") String version,
            jakarta.enterprise.inject.Instance<io.fabric8.kubernetes.client.KubernetesClient> kubernetes) {
        this.config = config;
        this.registry = registry;
        this.metricsConfig = metricsConfig;
        this.version = version;
        // Looked up only in cluster mode, so the all-in-one job never reaches for a Kubernetes API.
        this.kubernetes = kubernetes;
    }

    private Optional<ClusterSettings> clusterSettings() {
        DriverConfig.Cluster cluster = config.cluster();
        if (!cluster.enabled()) {
            return Optional.empty();
        }
        return Optional.of(new ClusterSettings(kubernetes.get(), cluster.readyTimeout(), cluster.resync(),
                cluster.orphanGrace(), leaderElection(cluster.leaderElection())));
    }

    private static Optional<ClusterSettings.LeaderElection> leaderElection(DriverConfig.LeaderElection config) {
        Optional<String> lease = config.lease().filter(s -> !s.isBlank());
        if (lease.isEmpty()) {
            return Optional.empty();
        }
        String namespace = config.namespace().filter(s -> !s.isBlank())
                .or(() -> Optional.ofNullable(System.getenv("POD_NAMESPACE")).filter(s -> !s.isBlank()))
                .orElseThrow(() -> new IllegalArgumentException("ordinal.cluster.leader-election.lease is set but "
                        + "neither ordinal.cluster.leader-election.namespace nor POD_NAMESPACE is"));
        String identity = config.identity().filter(s -> !s.isBlank())
                .or(() -> Optional.ofNullable(System.getenv("POD_NAME")).filter(s -> !s.isBlank()))
                .orElseThrow(() -> new IllegalArgumentException("ordinal.cluster.leader-election.lease is set but "
                        + "neither ordinal.cluster.leader-election.identity nor POD_NAME is (the pod's name)"));
        return Optional.of(new ClusterSettings.LeaderElection(namespace, lease.get(), identity,
                java.net.URI.create(config.provisionerMetrics()), config.renewDeadline()));
    }

    void start(@Observes StartupEvent event) throws IOException {
        long started = System.nanoTime();
        NodeName node = new NodeName(nodeId());
        List<LocalDisk> disks = openDisks();
        metrics = DriverMetrics.into(registry, metricsConfig);
        assembly = DriverAssembly.build(new DriverAssembly.Settings(config.mode(), node, disks,
                config.publishRoots().stream().map(Path::of).toList(), config.topology(),
                config.maxVolumesPerNode(),
                Quantity.parse("ordinal.default-volume-size", config.defaultVolumeSize()), version,
                new VolumeLocks(), nfsSettings(), clusterSettings()), metrics);
        assembly.nfsNode().ifPresent(nfs -> metrics.watchNfs(node, nfs));
        health = assembly.health();
        Path socket = CsiSocketServer.socketPath(config.endpoint());
        server = CsiSocketServer.start(socket, assembly.services(), registry, config.handlerThreads());
        LOG.infof("Ordinal CSI driver %s serving mode=%s node=%s socket=%s disks=%d volumes=%d ready_ms=%d", version,
                config.mode().name().toLowerCase(Locale.ROOT), node, socket, disks.size(),
                assembly.inventory().map(Inventory::volumeCount).orElse(0),
                (System.nanoTime() - started) / 1_000_000);
        // The one line a user of `make run` looks for, last and unadorned.
        System.out.println("CSI socket: unix://" + socket + "   health and metrics: " + managementUrl()
                + "/q/health, /q/metrics");
    }

    /** Where the management interface listens, as configured (tests use their own port setting). */
    private static String managementUrl() {
        Config settings = ConfigProvider.getConfig();
        String host = settings.getOptionalValue("quarkus.management.host", String.class).orElse("0.0.0.0");
        String portKey = LaunchMode.current() == LaunchMode.TEST ? "quarkus.management.test-port"
                : "quarkus.management.port";
        int port = settings.getValue(portKey, Integer.class);
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    void stop(@Observes ShutdownEvent event) {
        CsiSocketServer running = server;
        if (running != null) {
            running.close();
        }
        if (metrics != null) {
            metrics.close();
        }
        if (assembly != null) {
            assembly.close();
        }
    }

    /** Disk readiness for the health endpoint; empty before start-up finished. */
    Optional<DiskHealth> health() {
        return Optional.ofNullable(health);
    }

    boolean serving() {
        return server != null;
    }

    private NfsSettings nfsSettings() {
        Path stateDir = Path.of(config.stateDir().filter(s -> !s.isBlank())
                .orElse(config.mode() == DriverMode.NODE ? "/var/lib/ordinal" : "/tmp/ordinal/state"));
        return new NfsSettings(NfsSettings.parseExports(config.nfs().exports().orElse(List.of())),
                NfsSettings.NodeMount.parse(config.nfs().nodeMount()), stateDir, UsageCache.Limits.DEFAULT, null);
    }

    private List<LocalDisk> openDisks() {
        List<LocalDisk> disks = new ArrayList<>();
        for (String entry : config.disks()) {
            int eq = entry.indexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new IllegalArgumentException("ordinal.disks entry '" + entry + "' is not name=directory");
            }
            String name = entry.substring(0, eq).strip();
            if (!dev.ordinal.driver.model.VolumeId.DISK.matcher(name).matches()) {
                throw new IllegalArgumentException("disk name '" + name + "' must be a DNS label (a-z, 0-9, '-')");
            }
            Optional<Capacity> capacity = Optional.ofNullable(config.diskCapacity().get(name))
                    .map(q -> Quantity.parse("ordinal.disk-capacity." + name, q));
            disks.add(DiskSetup.open(new DiskName(name), Path.of(entry.substring(eq + 1).strip()), capacity,
                    config.createDiskDirs()));
        }
        if (disks.isEmpty() && (config.mode().node() || !config.cluster().enabled())) {
            throw new IllegalArgumentException("no disks configured (ordinal.disks=name=directory,...)");
        }
        return disks;
    }

    private String nodeId() {
        String id = config.nodeId().filter(s -> !s.isBlank()).orElseGet(() -> {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                throw new UncheckedIOException("no ordinal.node-id and no host name", e);
            }
        }).toLowerCase(Locale.ROOT);
        if (!dev.ordinal.driver.model.VolumeId.NODE.matcher(id).matches()) {
            throw new IllegalArgumentException("node id '" + id + "' is not a Kubernetes node name");
        }
        return id;
    }
}
