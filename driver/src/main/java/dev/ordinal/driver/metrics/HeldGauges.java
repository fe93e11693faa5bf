package dev.ordinal.driver.metrics;

import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.model.HeldVolume;
import dev.ordinal.driver.volume.HeldPurges;
import dev.ordinal.driver.volume.VolumeService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Held volumes (deleted with a grace, their data kept on the disk for their ordinal's return): how many and how
 * many bytes each disk holds now, read at scrape time, and {@code ordinal_held_purges_total} by reason, so that
 * held data never goes unseen, least of all early for room.
 */
final class HeldGauges implements HeldPurges {

    private final Map<String, EnumMap<Reason, Counter>> purges = new HashMap<>();

    HeldGauges(MeterRegistry registry, NodeName node, List<LocalDisk> disks, VolumeService service) {
        for (LocalDisk disk : disks) {
            String name = disk.name().value();
            gauge(registry, "ordinal.held.volumes", "Deleted volumes whose data the disk holds for their ordinal's "
                    + "return (StorageClass parameter deleteGrace)", null, node, name, service, held -> 1);
            gauge(registry, "ordinal.held", "Bytes of the held volumes on the disk (their size, still counted against "
                    + "the disk)", "bytes", node, name, service, held -> held.record().capacity().bytes());
            EnumMap<Reason, Counter> reasons = new EnumMap<>(Reason.class);
            for (Reason reason : Reason.values()) {
                reasons.put(reason, Counter.builder("ordinal.held.purges")
                        .description("Held volumes purged: expired (grace over) or room (early, for a new volume)")
                        .tag("node", node.value())
                        .tag("disk", name)
                        .tag("reason", reason.wireName())
                        .register(registry));
            }
            purges.put(name, reasons);
        }
        service.onPurge(this);
    }

    private static void gauge(MeterRegistry registry, String metric, String help, String unit, NodeName node,
            String disk, VolumeService service, ToDoubleFunction<HeldVolume> each) {
        Gauge.builder(metric, service, s -> s.held().stream().filter(h -> h.record().id().disk().equals(disk))
                        .mapToDouble(each).sum())
                .description(help)
                .baseUnit(unit)
                .tag("node", node.value())
                .tag("disk", disk)
                .strongReference(true)
                .register(registry);
    }

    @Override
    public void purged(HeldVolume volume, Reason reason) {
        EnumMap<Reason, Counter> reasons = purges.get(volume.record().id().disk());
        if (reasons != null) {
            reasons.get(reason).increment();
        }
    }
}
