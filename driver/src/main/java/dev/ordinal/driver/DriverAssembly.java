package dev.ordinal.driver;

import dev.ordinal.allocator.Allocator;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Disk;
import dev.ordinal.allocator.model.Node;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.allocator.model.Topology;
import dev.ordinal.driver.backend.ControllerBackend;
import dev.ordinal.driver.backend.ControllerRouter;
import dev.ordinal.driver.backend.NodeRouter;
import dev.ordinal.driver.cluster.ClusterClaims;
import dev.ordinal.driver.cluster.ClusterSettings;
import dev.ordinal.driver.cluster.ClusterSnapshots;
import dev.ordinal.driver.cluster.ClusterVolumes;
import dev.ordinal.driver.cluster.NodeAgent;
import dev.ordinal.driver.cluster.NodeDirectory;
import dev.ordinal.driver.cluster.PersistentVolumeAudit;
import dev.ordinal.driver.cluster.WriteFence;
import dev.ordinal.driver.csi.ControllerService;
import dev.ordinal.driver.csi.IdentityService;
import dev.ordinal.driver.csi.NodeService;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.local.LocalMounts;
import dev.ordinal.driver.local.LocalSnapshots;
import dev.ordinal.driver.local.LocalVolumes;
import dev.ordinal.driver.metrics.DriverMetrics;
import dev.ordinal.driver.host.CreatedPaths;
import dev.ordinal.driver.leadership.LeaderGate;
import dev.ordinal.driver.leadership.ProvisionerMetrics;
import dev.ordinal.driver.leadership.ProvisionerLease;
import dev.ordinal.driver.nfs.NfsController;
import dev.ordinal.driver.nfs.NfsNodeService;
import dev.ordinal.driver.nfs.NfsSettings;
import dev.ordinal.driver.nfs.NfsVolumeService;
import dev.ordinal.driver.volume.ClaimAdmission;
import dev.ordinal.driver.volume.ClaimDirectory;
import dev.ordinal.driver.volume.HeldPurger;
import dev.ordinal.driver.volume.Inventory;
import dev.ordinal.driver.volume.LocalController;
import dev.ordinal.driver.volume.NodePaths;
import dev.ordinal.driver.volume.NodeVolumeService;
import dev.ordinal.driver.volume.SnapshotService;
import dev.ordinal.driver.volume.VolumeLocks;
import dev.ordinal.driver.volume.VolumeService;
import io.grpc.BindableService;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the CSI services of one driver process from plain settings, with no framework involved: the Quarkus
 * runtime and the tests assemble the driver the same way.
 */
public record DriverAssembly(List<BindableService> services, Optional<Inventory> inventory, DiskHealth health,
        Optional<NfsNodeService> nfsNode, List<AutoCloseable> background) implements AutoCloseable {

    /** Everything the services depend on, already checked. */
    public record Settings(DriverMode mode, NodeName node, List<LocalDisk> disks, List<Path> publishRoots,
            Map<String, String> topology, long maxVolumesPerNode, Capacity defaultVolumeSize, String version,
            VolumeLocks locks, NfsSettings nfs, Optional<ClusterSettings> cluster) {

        public Settings(DriverMode mode, NodeName node, List<LocalDisk> disks, List<Path> publishRoots,
                Map<String, String> topology, long maxVolumesPerNode, Capacity defaultVolumeSize, String version,
                VolumeLocks locks, NfsSettings nfs) {
            this(mode, node, disks, publishRoots, topology, maxVolumesPerNode, defaultVolumeSize, version, locks, nfs,
                    Optional.empty());
        }

        /** Without NFS exports (NFS is opt-in); node state under /tmp. */
        public Settings(DriverMode mode, NodeName node, List<LocalDisk> disks, List<Path> publishRoots,
                Map<String, String> topology, long maxVolumesPerNode, Capacity defaultVolumeSize, String version,
                VolumeLocks locks) {
            this(mode, node, disks, publishRoots, topology, maxVolumesPerNode, defaultVolumeSize, version, locks,
                    NfsSettings.none(Path.of("/tmp/ordinal/state")));
        }
    }

    public static DriverAssembly build(Settings settings) {
        return build(settings, DriverMetrics.disabled());
    }

    /** As {@link #build(Settings)}, registering the driver's metrics as each part is made. */
    public static DriverAssembly build(Settings settings, DriverMetrics metrics) {
        LocalVolumes volumes = new LocalVolumes(settings.node(), settings.disks());
        metrics.watchHost(settings.node(), volumes);
        DiskHealth health = new DiskHealth(settings.disks());
        Map<String, String> topology = new LinkedHashMap<>(settings.topology());
        topology.put(Topology.NODE_KEY, settings.node().value());

        List<BindableService> services = new ArrayList<>();
        services.add(new IdentityService(settings.version(), settings.mode().controller(), health::allUsable));
        Inventory inventory = null;
        List<AutoCloseable> background = new ArrayList<>();
        LocalSnapshots localSnapshots = new LocalSnapshots(volumes);
        if (settings.mode().controller()) {
            Optional<ClusterClaims> clusterClaims = Optional.empty();
            if (settings.cluster().isPresent()) {
                // CreateVolume reads the claims the companion controller annotates, and the Released volumes.
                clusterClaims = Optional.of(new ClusterClaims(settings.cluster().get().client()).start());
                background.add(clusterClaims.get());
            }
            Optional<ClaimDirectory> claims = clusterClaims.map(c -> c);
            Allocator allocator = new Allocator();
            Optional<ProvisionerLease> lease = Optional.empty();
            NfsVolumeService nfsVolumes = new NfsVolumeService(settings.nfs().exports(), settings.locks(),
                    settings.defaultVolumeSize(), Clock.systemUTC(), new ClaimAdmission(claims));
            nfsVolumes.recover();
            if (settings.cluster().isPresent()) {
                // The allocator's model is the cluster's: every node as its agent reports it in an OrdinalNode,
                // and every OrdinalVolume and OrdinalSnapshot.
                ClusterSettings cluster = settings.cluster().get();
                NodeDirectory nodes = new NodeDirectory(cluster.client(), allocator);
                lease = cluster.leaderElection().map(election -> new ProvisionerLease(cluster.client(),
                        election.namespace(), election.lease(), election.pod(), election.validity(),
                        Clock.systemUTC(), new ProvisionerMetrics(election.provisionerMetrics())).start());
                lease.ifPresent(background::add);
                // The PersistentVolumes compared with the OrdinalVolumes, both ways, by the leading replica;
                // reported, never acted on.
                Optional<ProvisionerLease> leader = lease;
                PersistentVolumeAudit audit = new PersistentVolumeAudit(cluster.client(), clusterClaims.get(),
                        cluster.resync(), cluster.orphanGrace(), Clock.systemUTC(),
                        () -> leader.map(l -> l.leading(l.current())).orElse(true));
                metrics.watchAudit(audit);
                background.add(audit.start());
                inventory = new Inventory(new ClusterVolumes(cluster.client(), nodes, cluster.readyTimeout(),
                        lease.map(DriverAssembly::fence).orElse(WriteFence.NONE)),
                        new ClusterSnapshots(cluster.client(), nodes, cluster.readyTimeout()), allocator);
                Inventory counted = inventory;
                background.add(nodes.onJoin(counted::recount).start());
            } else {
                // The allocator's model of this node: its disks, and (after recovery) every volume on them.
                allocator.addNode(new Node(settings.node(), topology, true));
                for (LocalDisk disk : settings.disks()) {
                    allocator.addDisk(settings.node(), new Disk(disk.name(), disk.layouts(), disk.capacity(),
                            Capacity.ZERO));
                }
                inventory = new Inventory(volumes, localSnapshots, allocator);
            }
            inventory.recover();
            VolumeService volumeService = new VolumeService(inventory, settings.locks(), settings.defaultVolumeSize(),
                    Clock.systemUTC(), claims);
            SnapshotService snapshotService = new SnapshotService(inventory, settings.locks(), Clock.systemUTC());
            metrics.watchController(settings.node(), volumes, allocator, volumeService, snapshotService);
            if (settings.cluster().isEmpty()) {
                // Held volumes (StorageClass parameter deleteGrace) are purged by this timer when their grace ends.
                background.add(HeldPurger.start(volumeService, java.time.Duration.ofSeconds(1)));
            }
            // The local backend is the default; each other backend is one entry, recognized by its parameters and ids.
            ControllerBackend local = new LocalController(volumeService, snapshotService);
            ControllerBackend nfs = new NfsController(nfsVolumes);
            if (lease.isPresent()) {
                // Two replicas: only the one whose pod holds csi-provisioner's Lease places and deletes, from a
                // model rebuilt when its term begins (leadership/LeaderGate).
                LeaderGate gate = new LeaderGate(lease.get(), inventory::resync);
                local = gate.guard(local);
                nfs = gate.guard(nfs);
            }
            ControllerRouter backends = new ControllerRouter(local, List.of(nfs));
            services.add(new ControllerService(backends));
        }
        if (settings.mode().node() && (!settings.mode().controller() || settings.cluster().isPresent())) {
            // The node's own disks are recovered here when no local inventory did it: finish interrupted
            // deletions, remove unacknowledged creations, before anything is served or reconciled.
            volumes.recover();
            localSnapshots.recover();
        }
        // The node's local volumes are serialized on one set of locks, taken by its RPCs and by its agent's work.
        // A process that is the cluster's controller too gives them a set of their own: its controller RPCs hold
        // a volume's lock while they wait for the agent to act on that volume (as they do across processes).
        VolumeLocks nodeLocks = settings.mode().controller() && settings.cluster().isPresent() ? new VolumeLocks()
                : settings.locks();
        if (settings.mode().node() && settings.cluster().isPresent()) {
            ClusterSettings cluster = settings.cluster().get();
            background.add(new NodeAgent(cluster.client(), settings.node(), volumes, localSnapshots, nodeLocks,
                    topology, cluster.resync(), cluster.orphanGrace(), Clock.systemUTC()).start());
        }
        NfsNodeService nfsNode = null;
        if (settings.mode().node()) {
            // The driver's own data may sit inside a publish root (the all-in-one defaults put disks and state
            // under /tmp): no request may name it as a staging or target path.
            List<Path> reserved = new ArrayList<>();
            settings.disks().forEach(d -> reserved.add(d.root()));
            settings.nfs().exports().forEach(e -> reserved.add(e.local()));
            reserved.add(settings.nfs().stateDir());
            NodePaths paths = new NodePaths(settings.publishRoots(), reserved);
            CreatedPaths created = new CreatedPaths(settings.nfs().stateDir());
            NodeVolumeService localNode = new NodeVolumeService(volumes, new LocalMounts(volumes, created),
                    nodeLocks, paths);
            nfsNode = new NfsNodeService(settings.nfs(), settings.locks(), paths, created, Clock.systemUTC());
            // As on the controller side: the local backend is the default, each other backend one entry.
            NodeRouter backends = new NodeRouter(localNode, List.of(nfsNode));
            services.add(new NodeService(backends, settings.node().value(), settings.maxVolumesPerNode(), topology));
            metrics.watchNode(settings.node(), volumes);
        }
        return new DriverAssembly(List.copyOf(services), Optional.ofNullable(inventory), health,
                Optional.ofNullable(nfsNode), List.copyOf(background));
    }

    /** The fence of the stores' placing and deleting writes: a fresh enough read of the Lease naming this pod. */
    private static WriteFence fence(ProvisionerLease lease) {
        return new WriteFence() {
            @Override
            public void beforeWrite(String what) {
                lease.requireLeading(what);
            }

            @Override
            public Optional<String> identity() {
                return Optional.of(lease.pod());
            }
        };
    }

    /** Stops the informers and timers of cluster mode. */
    @Override
    public void close() {
        for (AutoCloseable running : background) {
            try {
                running.close();
            } catch (Exception e) {
                // Closing is best effort: the process is stopping.
            }
        }
    }
}
