package dev.ordinal.driver;

import dev.ordinal.allocator.Allocator;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Disk;
import dev.ordinal.allocator.model.Node;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.allocator.model.Topology;
import dev.ordinal.driver.csi.ControllerService;
import dev.ordinal.driver.csi.IdentityService;
import dev.ordinal.driver.csi.NodeService;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.local.LocalSnapshots;
import dev.ordinal.driver.local.LocalVolumes;
import dev.ordinal.driver.metrics.DriverMetrics;
import dev.ordinal.driver.nfs.NfsNodeService;
import dev.ordinal.driver.nfs.NfsSettings;
import dev.ordinal.driver.nfs.NfsVolumeService;
import dev.ordinal.driver.volume.Inventory;
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
        Optional<NfsNodeService> nfsNode) {

    /** Everything the services depend on, already checked. */
    public record Settings(DriverMode mode, NodeName node, List<LocalDisk> disks, List<Path> publishRoots,
            Map<String, String> topology, long maxVolumesPerNode, Capacity defaultVolumeSize, String version,
            VolumeLocks locks, NfsSettings nfs) {

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
        if (settings.mode().controller()) {
            // The allocator's model of this node: its disks, and (after recovery) every volume on them.
            Allocator allocator = new Allocator();
            allocator.addNode(new Node(settings.node(), topology, true));
            for (LocalDisk disk : settings.disks()) {
                allocator.addDisk(settings.node(), new Disk(disk.name(), disk.layouts(), disk.capacity(),
                        Capacity.ZERO));
            }
            inventory = new Inventory(volumes, new LocalSnapshots(volumes), allocator);
            inventory.recover();
            NfsVolumeService nfsVolumes = new NfsVolumeService(settings.nfs().exports(), settings.locks(),
                    settings.defaultVolumeSize(), Clock.systemUTC());
            nfsVolumes.recover();
            VolumeService volumeService = new VolumeService(inventory, settings.locks(), settings.defaultVolumeSize(),
                    Clock.systemUTC());
            metrics.watchController(settings.node(), volumes, allocator, volumeService);
            services.add(new ControllerService(volumeService,
                    new SnapshotService(inventory, settings.locks(), Clock.systemUTC()), nfsVolumes));
        }
        NfsNodeService nfsNode = null;
        if (settings.mode().node()) {
            NodePaths paths = new NodePaths(settings.publishRoots());
            NodeVolumeService nodeVolumes = new NodeVolumeService(volumes, settings.locks(), paths);
            nfsNode = new NfsNodeService(settings.nfs(), settings.locks(), paths, Clock.systemUTC());
            services.add(new NodeService(nodeVolumes, nfsNode, settings.node().value(), settings.maxVolumesPerNode(),
                    topology));
            metrics.watchNode(settings.node(), volumes);
        }
        return new DriverAssembly(List.copyOf(services), Optional.ofNullable(inventory), health,
                Optional.ofNullable(nfsNode));
    }
}
