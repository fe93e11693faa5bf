package dev.ordinal.contract.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.lang.management.ManagementFactory;
import java.util.Set;

/**
 * Keeps the whole of {@code /q/metrics} within Prometheus' naming conventions, as {@code promtool check metrics}
 * checks them. Two of Micrometer's own JVM meters break them: {@code process_cpu_time_ns_total} (a unit that is
 * not the base unit) and {@code system_cpu_count} (a gauge named like a histogram's count). The first is replaced
 * by the standard {@code process_cpu_seconds_total} that Prometheus client libraries export; the second is left
 * out (the pod's CPU limit says more in Kubernetes anyway). A CDI bean in this plain module: the driver and the
 * companion controller each find it in this jar (a bean archive) and produce the filter for their own registry.
 */
@Singleton
public class PrometheusConventions {

    private static final Set<String> UNCONVENTIONAL = Set.of("process.cpu.time", "system.cpu.count");

    @Produces
    @Singleton
    MeterFilter conventionalNamesOnly() {
        return MeterFilter.deny(id -> UNCONVENTIONAL.contains(id.getName()));
    }

    @Produces
    @Singleton
    MeterBinder processCpuSeconds() {
        return registry -> {
            if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
                FunctionCounter.builder("process.cpu", os, b -> b.getProcessCpuTime() / 1e9)
                        .description("CPU time used by the process")
                        .baseUnit("seconds")
                        .register(registry);
            }
        };
    }
}
