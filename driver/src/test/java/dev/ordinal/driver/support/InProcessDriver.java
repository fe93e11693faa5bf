package dev.ordinal.driver.support;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.IdentityGrpc;
import dev.ordinal.csi.v1.NodeGrpc;
import dev.ordinal.driver.DriverAssembly;
import dev.ordinal.driver.DriverMode;
import dev.ordinal.driver.local.DiskSetup;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.metrics.DriverMetrics;
import dev.ordinal.driver.nfs.NfsSettings;
import dev.ordinal.driver.volume.VolumeLocks;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The real driver services (real disks, real mounts) behind grpc-java's in-process transport: the validation
 * matrix and the conformance rules run fast here, while DriverSocketTest covers the unix socket itself.
 */
public final class InProcessDriver implements AutoCloseable {

    public static final String NODE = "test-node";

    private final Server server;
    private final ManagedChannel channel;
    private final VolumeLocks locks;

    private final DriverAssembly assembly;

    private InProcessDriver(Server server, ManagedChannel channel, VolumeLocks locks, DriverAssembly assembly) {
        this.server = server;
        this.channel = channel;
        this.locks = locks;
        this.assembly = assembly;
    }

    /** What the driver was built from, for tests that look at a part directly (metrics, the NFS node side). */
    public DriverAssembly assembly() {
        return assembly;
    }

    /** A driver in {@code all} mode whose disks are {@code name -> directory}, publishing under {@code root}. */
    public static InProcessDriver start(Path root, Map<String, Path> disks) {
        return start(root, disks, Map.of());
    }

    public static InProcessDriver start(Path root, Map<String, Path> disks, Map<String, Capacity> capacities) {
        return start(root, disks, capacities, NfsSettings.none(root.resolve("state")));
    }

    /** With the NFS backend set up as {@code nfs} says (exports are directories under {@code root} in tests). */
    public static InProcessDriver start(Path root, Map<String, Path> disks, Map<String, Capacity> capacities,
            NfsSettings nfs) {
        List<LocalDisk> localDisks = new ArrayList<>();
        disks.forEach((name, dir) -> localDisks.add(DiskSetup.open(new DiskName(name), dir,
                Optional.ofNullable(capacities.get(name)), true)));
        localDisks.sort(java.util.Comparator.comparing(d -> d.name().value()));
        return start(new DriverAssembly.Settings(DriverMode.ALL, new NodeName(NODE), localDisks, List.of(root),
                Map.of(), 0, Capacity.ofMiB(64), "test", new VolumeLocks(), nfs), DriverMetrics.disabled());
    }

    /**
     * A driver built from {@code settings} as the plugin's main builds it (any mode, cluster mode included), with
     * its metrics registered in {@code metrics}. Closing it closes the driver too.
     */
    public static InProcessDriver start(DriverAssembly.Settings settings, DriverMetrics metrics) {
        DriverAssembly assembly = DriverAssembly.build(settings, metrics);
        String name = InProcessServerBuilder.generateName();
        InProcessServerBuilder builder = InProcessServerBuilder.forName(name);
        for (BindableService service : assembly.services()) {
            builder.addService(service);
        }
        try {
            Server server = builder.build().start();
            ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
            return new InProcessDriver(server, channel, settings.locks(), assembly);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public IdentityGrpc.IdentityBlockingStub identity() {
        return IdentityGrpc.newBlockingStub(channel);
    }

    public ControllerGrpc.ControllerBlockingStub controller() {
        return ControllerGrpc.newBlockingStub(channel);
    }

    public NodeGrpc.NodeBlockingStub node() {
        return NodeGrpc.newBlockingStub(channel);
    }

    /** The same per-volume locks the services use, so a test can hold one as an operation in flight would. */
    public VolumeLocks locks() {
        return locks;
    }

    @Override
    public void close() {
        // Its timers (the purge of held volumes) stop with it.
        assembly.close();
        channel.shutdownNow();
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
