package dev.ordinal.driver.metrics;

import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.local.VolumeUsage;
import dev.ordinal.driver.model.VolumeRecord;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * {@code ordinal_volume_used_bytes} and {@code ordinal_volume_capacity_bytes} per volume, measured by one
 * background thread at a fixed delay, never inside an RPC and never by a scrape: measuring runs host tools and
 * walks directories, which a scrape must not wait for. Rounds never overlap, so the cost is bounded by one
 * round per interval. The labels are the kubelet's ({@code namespace}, {@code persistentvolumeclaim}), so the
 * series join with {@code kubelet_volume_stats_*}, plus the PersistentVolume name that makes each series unique
 * even for a volume whose claim the provisioner did not pass.
 */
final class VolumeUsageSampler implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(VolumeUsageSampler.class);
    static final String USED = "ordinal.volume.used";
    static final String USED_HELP = "Bytes the volume's data takes: statfs of a staged image, the qgroup of a "
            + "subvolume, the file sizes of a dir or NFS volume; measured in the background";
    static final String CAPACITY = "ordinal.volume.capacity";
    static final String CAPACITY_HELP = "The volume's provisioned size (on NFS, the requested size: a soft limit)";

    private final String node;
    private final VolumeUsage usage;
    private final MultiGauge used;
    private final MultiGauge capacity;
    private final ScheduledExecutorService executor;

    VolumeUsageSampler(MeterRegistry registry, String node, VolumeUsage usage, Duration interval) {
        this.node = node;
        this.usage = usage;
        this.used = MultiGauge.builder(USED).description(USED_HELP).baseUnit("bytes").register(registry);
        this.capacity = MultiGauge.builder(CAPACITY).description(CAPACITY_HELP).baseUnit("bytes").register(registry);
        this.executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "ordinal-volume-usage");
            thread.setDaemon(true);
            thread.setPriority(Thread.MIN_PRIORITY);
            return thread;
        });
        executor.scheduleWithFixedDelay(this::sampleQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void sampleQuietly() {
        try {
            sample();
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again: log, keep the last values, try next round.
            LOG.warnf("volume usage sampling failed: %s", e.getMessage());
        }
    }

    void sample() {
        MountTable mounts = MountTable.read();
        List<MultiGauge.Row<?>> usedRows = new ArrayList<>();
        List<MultiGauge.Row<?>> capacityRows = new ArrayList<>();
        for (VolumeRecord record : usage.list()) {
            Tags tags = Tags.of("node", node,
                    "namespace", record.claim().namespace(),
                    "persistentvolumeclaim", record.claim().name(),
                    "persistentvolume", record.csiName(),
                    "layout", record.layout().wireName());
            capacityRows.add(MultiGauge.Row.of(tags, record.capacity().bytes()));
            OptionalLong bytes = measure(record, mounts);
            if (bytes.isPresent()) {
                usedRows.add(MultiGauge.Row.of(tags, bytes.getAsLong()));
            }
        }
        // overwrite: rows of deleted volumes disappear, rows of remaining ones take the new value.
        used.register(usedRows, true);
        capacity.register(capacityRows, true);
    }

    private OptionalLong measure(VolumeRecord record, MountTable mounts) {
        try {
            return usage.usedBytes(record, mounts);
        } catch (RuntimeException e) {
            // One volume being deleted (or a qgroup query failing) must not hide the others.
            LOG.debugf("cannot measure volume %s: %s", record.id(), e.getMessage());
            return OptionalLong.empty();
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
