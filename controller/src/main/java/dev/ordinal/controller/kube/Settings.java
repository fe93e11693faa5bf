package dev.ordinal.controller.kube;

import java.time.Duration;

/**
 * How one controller instance runs: who it is on the Lease, which Lease, the election timings (fabric8's
 * LeaderElector: lease > renew deadline > retry period), and how often informers resync.
 */
public record Settings(
        String identity,
        String leaseNamespace,
        String leaseName,
        Duration leaseDuration,
        Duration renewDeadline,
        Duration retryPeriod,
        Duration resync) {
}
