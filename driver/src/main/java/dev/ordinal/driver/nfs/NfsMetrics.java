package dev.ordinal.driver.nfs;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

/**
 * {@code ordinal_nfs_volume_over_size{namespace, persistentvolumeclaim}}: 1 while an NFS volume staged on this
 * node uses more than it asked for, 0 otherwise. Refreshed after every usage walk.
 */
public final class NfsMetrics {

    private NfsMetrics() {
    }

    public static void bind(NfsNodeService service, MeterRegistry registry) {
        MultiGauge gauge = MultiGauge.builder("ordinal_nfs_volume_over_size")
                .description("1 while an NFS volume uses more than its requested size (a soft limit)")
                .register(registry);
        service.onUsageCounted(() -> gauge.register(service.uses().stream()
                .filter(use -> !use.claim().isEmpty())
                .map(use -> MultiGauge.Row.of(Tags.of("namespace", use.namespace(), "persistentvolumeclaim",
                        use.claim()), use.overSize() ? 1 : 0))
                .toList(), true));
    }
}
