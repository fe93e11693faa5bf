package dev.ordinal.driver.metrics;

import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.local.LocalVolumes;
import dev.ordinal.driver.local.OrphanListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code ordinal_orphans}: what is on each disk now that no acknowledged volume accounts for and that someone
 * should know about: foreign links (left for an operator, counted on the disk at every scrape) and, in cluster
 * mode, volumes and snapshots no resource references past the grace period, and those whose resource is being
 * deleted without the controller's DeleteVolume (both as the node agent's last check saw them; the data stays in
 * both cases). The gauge falls as soon as they are gone or accounted for again.
 * {@code ordinal_recovery_removed_total}: the leftovers of interrupted operations start-up recovery removed, a
 * counter, because they are history the moment they are counted.
 */
final class OrphanGauges implements OrphanListener {

    private static final String ORPHANS_HELP = "Orphans on the disk now: symbolic links the driver never makes (left "
            + "for an operator), volumes and snapshots no resource references past the grace period, and those whose "
            + "resource is being deleted without a DeleteVolume (all kept on the disk)";

    private final Map<DiskName, AtomicInteger> unreferenced = new HashMap<>();
    private final Map<DiskName, AtomicInteger> refused = new HashMap<>();
    private final Map<DiskName, EnumMap<Leftover, Counter>> recovered = new HashMap<>();

    OrphanGauges(MeterRegistry registry, String node, LocalVolumes volumes) {
        for (LocalDisk disk : volumes.disks()) {
            DiskName name = disk.name();
            Gauge.builder("ordinal.orphans", volumes, v -> v.foreignLinks(name))
                    .description(ORPHANS_HELP)
                    .tag("node", node)
                    .tag("disk", name.value())
                    .tag("kind", "foreign_link")
                    .strongReference(true)
                    .register(registry);
            unreferenced.put(name, countGauge(registry, node, name, "unreferenced"));
            refused.put(name, countGauge(registry, node, name, "deletion_refused"));
            EnumMap<Leftover, Counter> kinds = new EnumMap<>(Leftover.class);
            for (Leftover kind : Leftover.values()) {
                kinds.put(kind, Counter.builder("ordinal.recovery.removed")
                        .description("Leftovers of interrupted operations that start-up recovery removed: "
                                + "unfinished creations and interrupted deletions")
                        .tag("node", node)
                        .tag("disk", name.value())
                        .tag("kind", kind.name().toLowerCase(Locale.ROOT))
                        .register(registry));
            }
            recovered.put(name, kinds);
        }
    }

    private static AtomicInteger countGauge(MeterRegistry registry, String node, DiskName disk, String kind) {
        AtomicInteger count = new AtomicInteger();
        Gauge.builder("ordinal.orphans", count, AtomicInteger::get)
                .description(ORPHANS_HELP)
                .tag("node", node)
                .tag("disk", disk.value())
                .tag("kind", kind)
                .strongReference(true)
                .register(registry);
        return count;
    }

    @Override
    public void recovered(DiskName disk, Leftover kind) {
        EnumMap<Leftover, Counter> kinds = recovered.get(disk);
        if (kinds != null) {
            kinds.get(kind).increment();
        }
    }

    @Override
    public void unreferenced(DiskName disk, int count) {
        AtomicInteger gauge = unreferenced.get(disk);
        if (gauge != null) {
            gauge.set(count);
        }
    }

    @Override
    public void deletionsRefused(DiskName disk, int count) {
        AtomicInteger gauge = refused.get(disk);
        if (gauge != null) {
            gauge.set(count);
        }
    }
}
