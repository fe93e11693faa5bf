package dev.ordinal.driver.metrics;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Settings of the driver's own metrics ({@code ordinal.metrics.*}). */
@ConfigMapping(prefix = "ordinal.metrics")
public interface MetricsConfig {

    /**
     * How often per-volume usage is measured. Each round runs statfs, losetup or a qgroup query per volume (and
     * a btrfs sync per subvolume), so it is kept well apart from the scrape interval.
     */
    @WithDefault("60s")
    Duration sampleInterval();

    /** At most this many entries are visited to size one {@code dir} volume. */
    @WithDefault("100000")
    int dirWalkLimit();
}
