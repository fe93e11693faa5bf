package dev.ordinal.driver.metrics;

import dev.ordinal.allocator.Allocator;
import dev.ordinal.allocator.DiskUsage;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.volume.SnapshotService;
import dev.ordinal.driver.volume.VolumeService;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * What the controller side knows, read at scrape time: each disk's capacity, allocated and available bytes from
 * the allocator's model, and the number of volumes per disk and layout from the volume catalog. The gauges are
 * registered once, at start, for every disk and every layout it offers, so a disk without volumes shows 0.
 */
final class ControllerGauges {

    /** Counting the catalog once per scrape is enough; the gauges of one scrape share the count. */
    private static final long COUNT_TTL_NANOS = 1_000_000_000L;

    private final VolumeService service;
    private final SnapshotService snapshots;
    private Map<String, Integer> counts = Map.of();
    private Map<String, Integer> snapshotCounts = Map.of();
    private long countedAt;

    ControllerGauges(MeterRegistry registry, NodeName node, List<LocalDisk> disks, Allocator allocator,
            VolumeService service, SnapshotService snapshots) {
        this.service = service;
        this.snapshots = snapshots;
        this.countedAt = System.nanoTime() - COUNT_TTL_NANOS - 1;
        for (LocalDisk disk : disks) {
            Placement placement = new Placement(node, disk.name());
            diskGauge(registry, "ordinal.disk.capacity", "Bytes of the disk that volumes may take", placement,
                    allocator, u -> u.capacity().bytes());
            diskGauge(registry, "ordinal.disk.allocated", "Bytes of the disk promised to volumes (sizes of "
                    + "existing volumes and of creations in progress)", placement, allocator, u -> u.used().bytes());
            diskGauge(registry, "ordinal.disk.available", "Bytes of the disk left for new volumes (negative when "
                    + "the disk shrank under its volumes)", placement, allocator, DiskUsage::freeBytes);
            for (Layout layout : Layout.values()) {
                if (!disk.offers(layout)) {
                    continue;
                }
                String key = key(disk.name().value(), layout);
                Gauge.builder("ordinal.volumes", this, g -> g.count(key))
                        .description("Volumes on the disk, by layout")
                        .tag("node", node.value())
                        .tag("disk", disk.name().value())
                        .tag("layout", layout.wireName())
                        .strongReference(true)
                        .register(registry);
                Gauge.builder("ordinal.snapshots", this, g -> g.snapshotCount(key))
                        .description("Snapshots on the disk, by layout")
                        .tag("node", node.value())
                        .tag("disk", disk.name().value())
                        .tag("layout", layout.wireName())
                        .strongReference(true)
                        .register(registry);
            }
        }
    }

    private static void diskGauge(MeterRegistry registry, String name, String description, Placement placement,
            Allocator allocator, ToDoubleFunction<DiskUsage> value) {
        Gauge.builder(name, allocator, a -> a.diskUsage(placement).map(value::applyAsDouble).orElse(Double.NaN))
                .description(description)
                .baseUnit("bytes")
                .tag("node", placement.node().value())
                .tag("disk", placement.disk().value())
                .strongReference(true)
                .register(registry);
    }

    private synchronized double count(String key) {
        refresh();
        return counts.getOrDefault(key, 0);
    }

    private synchronized double snapshotCount(String key) {
        refresh();
        return snapshotCounts.getOrDefault(key, 0);
    }

    private void refresh() {
        long now = System.nanoTime();
        if (now - countedAt > COUNT_TTL_NANOS) {
            Map<String, Integer> fresh = new HashMap<>();
            for (VolumeRecord record : service.list(null, Integer.MAX_VALUE).items()) {
                fresh.merge(key(record.id().disk(), record.layout()), 1, Integer::sum);
            }
            Map<String, Integer> freshSnapshots = new HashMap<>();
            for (SnapshotRecord record : snapshots.list(null, Integer.MAX_VALUE, "", "").items()) {
                freshSnapshots.merge(key(record.id().disk(), record.layout()), 1, Integer::sum);
            }
            counts = fresh;
            snapshotCounts = freshSnapshots;
            countedAt = now;
        }
    }

    private static String key(String disk, Layout layout) {
        return disk + '/' + layout.wireName();
    }
}
