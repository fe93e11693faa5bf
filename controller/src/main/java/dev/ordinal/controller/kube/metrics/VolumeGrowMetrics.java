package dev.ordinal.controller.kube.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code ordinal_controller_volume_grow_claims_total{result}} (claims asked for a new size, found grown, refused)
 * and {@code ordinal_controller_volume_grow_pending_claims} (claims of rollouts under way that do not hold their
 * new size yet).
 */
public final class VolumeGrowMetrics {

    public static final String STARTED = "started";
    public static final String GROWN = "grown";
    public static final String REFUSED = "refused";
    private static final String PENDING = "ordinal.controller.volume.grow.pending.claims";

    private final Map<String, Counter> claims = new ConcurrentHashMap<>();
    /** Claims not grown yet, per StatefulSet key and template, as its last reconcile found them. */
    private final Map<String, Integer> pending = new ConcurrentHashMap<>();

    public VolumeGrowMetrics(MeterRegistry registry) {
        for (String result : new String[] {STARTED, GROWN, REFUSED}) {
            claims.put(result, Counter.builder("ordinal.controller.volume.grow.claims").tag("result", result)
                    .description("Claims of a claim-template resize: asked for the new size, grown, or refused")
                    .register(registry));
        }
        // One controller per registry: a gauge left by an earlier one (tests restart in one JVM) is replaced.
        registry.find(PENDING).gauges().forEach(registry::remove);
        Gauge.builder(PENDING, pending, p -> p.values().stream().mapToInt(Integer::intValue).sum())
                .description("Claims of claim-template resizes under way that do not hold their new size yet")
                .register(registry);
    }

    public void claim(String result) {
        claims.get(result).increment();
    }

    public void pending(String setAndTemplate, int count) {
        if (count == 0) {
            pending.remove(setAndTemplate);
        } else {
            pending.put(setAndTemplate, count);
        }
    }
}
