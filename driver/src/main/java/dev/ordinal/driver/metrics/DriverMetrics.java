package dev.ordinal.driver.metrics;

import dev.ordinal.allocator.Allocator;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.driver.cluster.PersistentVolumeAudit;
import dev.ordinal.driver.host.HostFailures;
import dev.ordinal.driver.local.LocalVolumes;
import dev.ordinal.driver.local.VolumeUsage;
import dev.ordinal.driver.nfs.NfsNodeService;
import dev.ordinal.driver.volume.SnapshotService;
import dev.ordinal.driver.volume.VolumeService;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The driver's own Prometheus metrics (the RPC histogram lives with the gRPC edge, in {@code csi.RpcObserver}).
 * The assembly calls the {@code watch} methods as it builds each part; every meter is registered there, once,
 * and read at scrape time or set by a hook, so no RPC allocates anything for metrics. See docs/METRICS.md.
 */
public final class DriverMetrics implements AutoCloseable {

    private static final DriverMetrics DISABLED = new DriverMetrics(null, Duration.ZERO, 0);

    private final MeterRegistry registry;
    private final Duration sampleInterval;
    private final int dirWalkLimit;
    private final List<VolumeUsageSampler> samplers = new ArrayList<>();
    private HostFailureCounters hostFailures;

    private DriverMetrics(MeterRegistry registry, Duration sampleInterval, int dirWalkLimit) {
        this.registry = registry;
        this.sampleInterval = sampleInterval;
        this.dirWalkLimit = dirWalkLimit;
    }

    /** No metrics at all: for assemblies without a registry (the in-process tests). */
    public static DriverMetrics disabled() {
        return DISABLED;
    }

    public static DriverMetrics into(MeterRegistry registry, MetricsConfig config) {
        return into(registry, config.sampleInterval(), config.dirWalkLimit());
    }

    public static DriverMetrics into(MeterRegistry registry, Duration sampleInterval, int dirWalkLimit) {
        if (sampleInterval.isNegative() || sampleInterval.isZero()) {
            throw new IllegalArgumentException("ordinal.metrics.sample-interval must be positive: " + sampleInterval);
        }
        return new DriverMetrics(registry, sampleInterval, dirWalkLimit);
    }

    /** Orphans, recovery's removals and mount/format failures of this node; call before recovery runs. */
    public void watchHost(NodeName node, LocalVolumes volumes) {
        if (registry == null) {
            return;
        }
        volumes.onOrphans(new OrphanGauges(registry, node.value(), volumes));
        hostFailures = new HostFailureCounters(registry, node.value());
        HostFailures.listen(hostFailures);
    }

    /** Disk capacity and allocation from the allocator, and volume counts from the catalog. */
    public void watchController(NodeName node, LocalVolumes volumes, Allocator allocator, VolumeService service,
            SnapshotService snapshots) {
        if (registry == null) {
            return;
        }
        new ControllerGauges(registry, node, volumes.disks(), allocator, service, snapshots);
        new HeldGauges(registry, node, volumes.disks(), service);
    }

    /** The controller's comparison of PersistentVolumes with OrdinalVolumes: mismatches past their grace period. */
    public void watchAudit(PersistentVolumeAudit audit) {
        if (registry == null) {
            return;
        }
        for (PersistentVolumeAudit.Mismatch kind : PersistentVolumeAudit.Mismatch.values()) {
            Gauge.builder("ordinal.unmatched.volumes", audit, a -> a.reported(kind))
                    .description("PersistentVolumes without their OrdinalVolume and OrdinalVolumes without a "
                            + "PersistentVolume, that have lasted the grace period (nothing is deleted for it)")
                    .tag("kind", kind.wireName())
                    .strongReference(true)
                    .register(registry);
        }
    }

    /** Starts sampling the usage of this node's volumes in the background. */
    public void watchNode(NodeName node, LocalVolumes volumes) {
        if (registry == null) {
            return;
        }
        samplers.add(new VolumeUsageSampler(registry, node.value(), new VolumeUsage(volumes, dirWalkLimit),
                sampleInterval));
    }

    /** The usage of the NFS volumes staged on this node, in the same series as local volumes'. */
    public void watchNfs(NodeName node, NfsNodeService nfs) {
        if (registry == null) {
            return;
        }
        new NfsUsageGauges(registry, node.value(), nfs);
    }

    /** Stops the sampler and detaches the host hook; the meters stay with their registry. */
    @Override
    public void close() {
        if (registry == null) {
            return;
        }
        if (hostFailures != null) {
            HostFailures.listen(null);
        }
        samplers.forEach(VolumeUsageSampler::close);
        samplers.clear();
    }
}
