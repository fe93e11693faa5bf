package dev.ordinal.driver.metrics;

import dev.ordinal.driver.host.HostFailures;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;

/**
 * {@code ordinal_mount_failures_total} and {@code ordinal_format_failures_total}. Every label value is registered
 * at start, at zero, so that {@code rate()} and {@code increase()} see the first failure instead of a series that
 * starts at one; a failure is then one map lookup and one add.
 */
final class HostFailureCounters implements HostFailures.Listener {

    private final Map<String, Counter> mounts;
    private final Map<String, Counter> formats;
    private final Counter otherFormats;

    HostFailureCounters(MeterRegistry registry, String node) {
        this.mounts = Map.of(
                "mount", mountCounter(registry, node, "mount"),
                "bind", mountCounter(registry, node, "bind"),
                "unmount", mountCounter(registry, node, "unmount"));
        this.formats = Map.of(
                "ext4", formatCounter(registry, node, "ext4"),
                "xfs", formatCounter(registry, node, "xfs"));
        // The driver refuses other types before mkfs runs; "other" keeps the label set closed anyway.
        this.otherFormats = formatCounter(registry, node, "other");
    }

    @Override
    public void mountFailed(String operation) {
        Counter counter = mounts.get(operation);
        if (counter != null) {
            counter.increment();
        }
    }

    @Override
    public void formatFailed(String fsType) {
        formats.getOrDefault(fsType, otherFormats).increment();
    }

    private static Counter mountCounter(MeterRegistry registry, String node, String operation) {
        return Counter.builder("ordinal.mount.failures")
                .description("Mounts (mount, bind) and unmounts made by the driver that failed")
                .tag("node", node)
                .tag("operation", operation)
                .register(registry);
    }

    private static Counter formatCounter(MeterRegistry registry, String node, String fsType) {
        return Counter.builder("ordinal.format.failures")
                .description("Filesystems the driver failed to make (mkfs) on a volume's image")
                .tag("node", node)
                .tag("fstype", fsType)
                .register(registry);
    }
}
