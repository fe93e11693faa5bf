package dev.ordinal.driver.metrics;

import dev.ordinal.driver.nfs.NfsNodeService;
import dev.ordinal.driver.nfs.NfsNodeService.VolumeUse;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;

/**
 * The NFS volumes staged on this node in the same series as local ones: {@code ordinal_volume_used_bytes} and
 * {@code ordinal_volume_capacity_bytes} with {@code layout="nfs"}, so one dashboard and one over-size alert cover
 * both backends; and {@code ordinal_nfs_volume_over_size} (1 while over the requested size, a soft limit on NFS).
 * Refreshed after every background usage walk and every size change, never by a scrape. A volume not counted
 * yet has no used series rather than a misleading 0.
 */
final class NfsUsageGauges {

    private final String node;
    private final NfsNodeService service;
    private final MultiGauge used;
    private final MultiGauge capacity;
    private final MultiGauge overSize;

    NfsUsageGauges(MeterRegistry registry, String node, NfsNodeService service) {
        this.node = node;
        this.service = service;
        // Same names, units, tag keys and descriptions as VolumeUsageSampler's: Prometheus sees one family each.
        this.used = MultiGauge.builder(VolumeUsageSampler.USED).description(VolumeUsageSampler.USED_HELP)
                .baseUnit("bytes").register(registry);
        this.capacity = MultiGauge.builder(VolumeUsageSampler.CAPACITY).description(VolumeUsageSampler.CAPACITY_HELP)
                .baseUnit("bytes").register(registry);
        this.overSize = MultiGauge.builder("ordinal_nfs_volume_over_size")
                .description("1 while an NFS volume uses more than its requested size (a soft limit)")
                .register(registry);
        service.onUsageCounted(this::refresh);
        refresh();
    }

    private void refresh() {
        List<MultiGauge.Row<?>> usedRows = new ArrayList<>();
        List<MultiGauge.Row<?>> capacityRows = new ArrayList<>();
        List<MultiGauge.Row<?>> overRows = new ArrayList<>();
        for (VolumeUse use : service.uses()) {
            if (use.claim().isEmpty()) {
                continue; // No claim, no kubelet-style labels to join on.
            }
            Tags tags = Tags.of("node", node, "namespace", use.namespace(), "persistentvolumeclaim", use.claim(),
                    "persistentvolume", use.persistentVolume(), "layout", "nfs");
            if (use.requestedBytes() > 0) {
                capacityRows.add(MultiGauge.Row.of(tags, use.requestedBytes()));
            }
            if (use.counted()) {
                usedRows.add(MultiGauge.Row.of(tags, use.usedBytes()));
            }
            overRows.add(MultiGauge.Row.of(Tags.of("namespace", use.namespace(), "persistentvolumeclaim", use.claim()),
                    use.overSize() ? 1 : 0));
        }
        used.register(usedRows, true);
        capacity.register(capacityRows, true);
        overSize.register(overRows, true);
    }
}
