package dev.ordinal.driver.metrics;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.NodeGrpc;
import dev.ordinal.driver.DriverAssembly;
import dev.ordinal.driver.DriverMode;
import dev.ordinal.driver.local.DiskSetup;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.volume.VolumeLocks;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The real driver services on one disk, assembled as DriverRuntime assembles them but with a Prometheus registry
 * of the test's own, behind grpc-java's in-process transport; {@link #scrape()} reads the registry as
 * {@code /q/metrics} would.
 */
final class MeteredDriver implements AutoCloseable {

    static final String NODE = "metrics-node";

    private final PrometheusMeterRegistry registry;
    private final DriverMetrics metrics;
    private final Server server;
    private final ManagedChannel channel;

    private MeteredDriver(PrometheusMeterRegistry registry, DriverMetrics metrics, Server server,
            ManagedChannel channel) {
        this.registry = registry;
        this.metrics = metrics;
        this.server = server;
        this.channel = channel;
    }

    /** A driver in {@code all} mode with one disk {@code d1} of {@code capacity}, publishing under {@code root}. */
    static MeteredDriver start(Path root, Path disk, Capacity capacity) throws IOException {
        LocalDisk local = DiskSetup.open(new DiskName("d1"), disk, Optional.of(capacity), true);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Sampling every 200 ms keeps the tests short; the default is a minute.
        DriverMetrics metrics = DriverMetrics.into(registry, Duration.ofMillis(200), 10_000);
        DriverAssembly assembly = DriverAssembly.build(new DriverAssembly.Settings(DriverMode.ALL,
                new NodeName(NODE), List.of(local), List.of(root), Map.of(), 0, Capacity.ofMiB(64), "test",
                new VolumeLocks()), metrics);
        String name = InProcessServerBuilder.generateName();
        InProcessServerBuilder builder = InProcessServerBuilder.forName(name);
        for (BindableService service : assembly.services()) {
            builder.addService(service);
        }
        Server server = builder.build().start();
        return new MeteredDriver(registry, metrics, server, InProcessChannelBuilder.forName(name).build());
    }

    ControllerGrpc.ControllerBlockingStub controller() {
        return ControllerGrpc.newBlockingStub(channel);
    }

    NodeGrpc.NodeBlockingStub node() {
        return NodeGrpc.newBlockingStub(channel);
    }

    Exposition scrape() {
        return Exposition.parse(registry.scrape());
    }

    @Override
    public void close() {
        channel.shutdownNow();
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        metrics.close();
        registry.close();
    }
}
