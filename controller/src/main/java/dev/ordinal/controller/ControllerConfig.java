package dev.ordinal.controller;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** {@code ordinal.controller.*}: the companion controller's settings. */
@ConfigMapping(prefix = "ordinal.controller")
public interface ControllerConfig {

    /** Off: the application serves health and metrics only. */
    @WithDefault("true")
    boolean enabled();

    /** Who this replica is on the Lease; the pod name (HOSTNAME) when unset. */
    Optional<String> identity();

    @WithDefault("default")
    String leaseNamespace();

    @WithDefault("ordinal-controller")
    String leaseName();

    @WithDefault("15s")
    Duration leaseDuration();

    @WithDefault("10s")
    Duration renewDeadline();

    @WithDefault("2s")
    Duration retryPeriod();

    /** How often informers replay their caches, which re-checks every StatefulSet. */
    @WithDefault("5m")
    Duration resync();
}
