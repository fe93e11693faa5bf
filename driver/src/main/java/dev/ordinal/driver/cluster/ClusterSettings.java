package dev.ordinal.driver.cluster;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;

/**
 * Cluster mode: volumes are OrdinalVolume resources between the controller and the node agents.
 *
 * @param readyTimeout how long the controller waits for a node agent within one RPC before answering ABORTED
 * @param resync how often a node agent re-reads every resource and reports its disks
 * @param orphanGrace how long a mismatch lasts before it is reported: a volume no resource references (node agent),
 *     a PV without its OrdinalVolume or the reverse (controller's audit); nothing is deleted for either
 */
public record ClusterSettings(KubernetesClient client, Duration readyTimeout, Duration resync, Duration orphanGrace) {
}
