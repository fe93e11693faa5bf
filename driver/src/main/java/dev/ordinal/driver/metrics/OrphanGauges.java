package dev.ordinal.driver.metrics;

import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.local.RecoveryListener;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code ordinal_orphans}: what start-up recovery found on each disk that no acknowledged volume accounts for.
 * Recovery removes unfinished creations and interrupted deletions, so a non-zero value says that this process
 * started after a crash in the middle of an operation; foreign links stay until an operator looks.
 */
final class OrphanGauges implements RecoveryListener {

    private final Map<DiskName, EnumMap<Orphan, AtomicInteger>> found = new HashMap<>();

    OrphanGauges(MeterRegistry registry, String node, List<LocalDisk> disks) {
        for (LocalDisk disk : disks) {
            EnumMap<Orphan, AtomicInteger> kinds = new EnumMap<>(Orphan.class);
            for (Orphan kind : Orphan.values()) {
                AtomicInteger count = new AtomicInteger();
                kinds.put(kind, count);
                Gauge.builder("ordinal.orphans", count, AtomicInteger::get)
                        .description("Leftovers found by the last start-up recovery: unfinished creations and "
                                + "interrupted deletions (removed), foreign links (left in place)")
                        .tag("node", node)
                        .tag("disk", disk.name().value())
                        .tag("kind", kind.name().toLowerCase(Locale.ROOT))
                        .strongReference(true)
                        .register(registry);
            }
            found.put(disk.name(), kinds);
        }
    }

    @Override
    public void found(DiskName disk, Orphan kind) {
        EnumMap<Orphan, AtomicInteger> kinds = found.get(disk);
        if (kinds != null) {
            kinds.get(kind).incrementAndGet();
        }
    }
}
