package dev.ordinal.driver;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The driver's settings: application.properties, system properties, environment, or the command-line flags. */
@ConfigMapping(prefix = "ordinal")
public interface DriverConfig {

    /** controller, node or all. */
    @WithDefault("all")
    DriverMode mode();

    /** The CSI endpoint, {@code unix:///path}; CSI_ENDPOINT in the environment sets it too. */
    String endpoint();

    /** This node's name; the host name (lower-cased) when not set. NODE_NAME in the environment sets it too. */
    Optional<String> nodeId();

    /** The disks of this node, each {@code name=directory}. */
    List<String> disks();

    /** An optional size per disk name (Kubernetes quantities: 10Gi); the disk's filesystem size otherwise. */
    Map<String, String> diskCapacity();

    /** Whether a missing disk directory is created; off for real disks, where it means the disk is not mounted. */
    @WithDefault("false")
    boolean createDiskDirs();

    /** Where the node side may stage and publish: the kubelet's directory, and more for local use. */
    List<String> publishRoots();

    /** Extra topology labels of this node (for example topology.kubernetes.io/zone). */
    Map<String, String> topology();

    /** NodeGetInfo's max_volumes_per_node; 0 means no limit. */
    @WithDefault("0")
    long maxVolumesPerNode();

    /** The size of a volume whose claim asks for none. */
    @WithDefault("1Gi")
    String defaultVolumeSize();

    /**
     * Where the node keeps its small state (the NFS volumes staged on it); {@code /var/lib/ordinal} in node mode,
     * {@code /tmp/ordinal/state} otherwise, when not set.
     */
    Optional<String> stateDir();

    /** The NFS backend; without exports it is off. */
    Nfs nfs();

    interface Nfs {
        /**
         * The exports volumes may be made on, each {@code server:/share=/local/path}: where this process sees the
         * export (the chart mounts it as an {@code nfs:} pod volume).
         */
        Optional<List<String>> exports();

        /** How the node stages: {@code nfs} (mount -t nfs) or {@code bind} (the export is mounted at its path). */
        @WithDefault("nfs")
        String nodeMount();
    }

    /** Cluster mode: OrdinalVolume resources between the controller and node agents (the chart turns it on). */
    Cluster cluster();

    interface Cluster {
        @WithDefault("false")
        boolean enabled();

        /** How long the controller waits for a node agent within one RPC before answering ABORTED. */
        @WithDefault("60s")
        java.time.Duration readyTimeout();

        /** How often a node agent re-reads every resource, reports its disks and checks for leaks (the controller: audits PVs). */
        @WithDefault("30s")
        java.time.Duration resync();

        /**
         * How long a mismatch lasts before it is reported: a volume no resource references (node agent), a PV
         * without its OrdinalVolume or the reverse (controller). Nothing is deleted for either.
         */
        @WithDefault("10m")
        java.time.Duration orphanGrace();

        /** Several controller replicas: which one places and deletes (the chart sets it; off by default). */
        LeaderElection leaderElection();
    }

    interface LeaderElection {
        /**
         * csi-provisioner's Lease (the driver name with dots as dashes: ordinal-csi-dev); not set: no leader
         * election, this controller serves every call.
         */
        Optional<String> lease();

        /** The Lease's namespace; POD_NAMESPACE in the environment when not set. */
        Optional<String> namespace();

        /** This replica's pod, recorded on what it places; POD_NAME in the environment when not set. */
        Optional<String> identity();

        /**
         * Where this pod's csi-provisioner serves its metrics (--http-endpoint), whose leader-election gauge tells
         * which Lease holder it is.
         */
        @WithDefault("http://127.0.0.1:9812/metrics")
        String provisionerMetrics();

        /** How long after its last renewal this pod's Lease still counts as held: csi-provisioner's renew deadline. */
        @WithDefault("10s")
        java.time.Duration renewDeadline();
    }

    /** Threads that run CSI handlers (they block on mounts and mkfs). */
    @WithDefault("32")
    int handlerThreads();
}
