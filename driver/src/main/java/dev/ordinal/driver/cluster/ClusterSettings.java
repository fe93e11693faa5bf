package dev.ordinal.driver.cluster;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Optional;

/**
 * Cluster mode: volumes are OrdinalVolume resources between the controller and the node agents.
 *
 * @param readyTimeout how long the controller waits for a node agent within one RPC before answering ABORTED
 * @param resync how often a node agent re-reads every resource and reports its disks
 * @param orphanGrace how long a mismatch lasts before it is reported: a volume no resource references (node agent),
 *     a PV without its OrdinalVolume or the reverse (controller's audit); nothing is deleted for either
 * @param leaderElection with several controller replicas: the Lease that says which one places and deletes
 */
public record ClusterSettings(KubernetesClient client, Duration readyTimeout, Duration resync, Duration orphanGrace,
        Optional<LeaderElection> leaderElection) {

    public ClusterSettings(KubernetesClient client, Duration readyTimeout, Duration resync, Duration orphanGrace) {
        this(client, readyTimeout, resync, orphanGrace, Optional.empty());
    }

    /**
     * csi-provisioner's Lease ({@code namespace/lease}), this replica's pod, where this pod's csi-provisioner says
     * whether it leads (its metrics), and how long after its last renewal the Lease still counts as held (at most
     * csi-provisioner's renew deadline).
     */
    public record LeaderElection(String namespace, String lease, String pod, java.net.URI provisionerMetrics,
            Duration validity) {
    }
}
