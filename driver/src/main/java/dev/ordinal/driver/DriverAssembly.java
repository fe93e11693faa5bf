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
import dev.ordinal.driver.local.LocalVolumes;
import dev.ordinal.driver.metrics.DriverMetrics;
import dev.ordinal.driver.volume.NodePaths;
import dev.ordinal.driver.volume.NodeVolumeService;
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
public record DriverAssembly(List<BindableService> services, Optional<VolumeService> volumeService,
        DiskHealth health) {

    /** Everything the services depend on, already checked. */
    public record Settings(DriverMode mode, NodeName node, List<LocalDisk> disks, List<Path> publishRoots,
            Map<String, String> topology, long maxVolumesPerNode, Capacity defaultVolumeSize, String version,
            VolumeLocks locks) {
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
        VolumeService volumeService = null;
        if (settings.mode().controller()) {
            // The allocator's model of this node: its disks, and (after recovery) every volume on them.
            Allocator allocator = new Allocator();
            allocator.addNode(new Node(settings.node(), topology, true));
            for (LocalDisk disk : settings.disks()) {
                allocator.addDisk(settings.node(), new Disk(disk.name(), disk.layouts(), disk.capacity(),
                        Capacity.ZERO));
            }
            volumeService = new VolumeService(volumes, allocator, settings.locks(), settings.defaultVolumeSize(),
                    Clock.systemUTC());
            volumeService.recover();
            metrics.watchController(settings.node(), volumes, allocator, volumeService);
            services.add(new ControllerService(volumeService));
        }
        if (settings.mode().node()) {
            NodeVolumeService nodeVolumes = new NodeVolumeService(volumes, settings.locks(),
                    new NodePaths(settings.publishRoots()));
            services.add(new NodeService(nodeVolumes, settings.node().value(), settings.maxVolumesPerNode(),
                    topology));
            metrics.watchNode(settings.node(), volumes);
        }
        return new DriverAssembly(List.copyOf(services), Optional.ofNullable(volumeService), health);
    }
}
