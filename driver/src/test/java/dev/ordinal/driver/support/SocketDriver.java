package dev.ordinal.driver.support;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.NodeGrpc;
import dev.ordinal.driver.DriverAssembly;
import dev.ordinal.driver.DriverMode;
import dev.ordinal.driver.csi.CsiSocketServer;
import dev.ordinal.driver.local.DiskSetup;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.nfs.NfsSettings;
import dev.ordinal.driver.volume.VolumeLocks;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The real driver services (all-in-one, with recovery at start) on the real unix socket server, talked to by a
 * real gRPC client over that socket, without the Quarkus runtime: for tests that drive many RPCs through the same
 * path kubelet and the sidecars use and still start in a fraction of a second.
 */
public final class SocketDriver implements AutoCloseable {

    public static final String NODE = "socket-node";

    private final CsiSocketServer server;
    private final EpollEventLoopGroup loop;
    private final ManagedChannel channel;

    private SocketDriver(CsiSocketServer server, EpollEventLoopGroup loop, ManagedChannel channel) {
        this.server = server;
        this.loop = loop;
        this.channel = channel;
    }

    /** Serves disks {@code name -> directory} with their filesystem's capacity, publishing under {@code root}. */
    public static SocketDriver start(Path root, Map<String, Path> disks, int handlerThreads) {
        List<LocalDisk> localDisks = new ArrayList<>();
        disks.forEach((name, dir) -> localDisks.add(DiskSetup.open(new DiskName(name), dir, Optional.empty(), true)));
        DriverAssembly assembly = DriverAssembly.build(new DriverAssembly.Settings(DriverMode.ALL,
                new NodeName(NODE), localDisks, List.of(root), Map.of(), 0, Capacity.ofMiB(16), "test",
                new VolumeLocks(), NfsSettings.none(root.resolve("state"))));
        Path socket = root.resolve("csi/csi.sock");
        try {
            CsiSocketServer server = CsiSocketServer.start(socket, assembly.services(), new SimpleMeterRegistry(),
                    handlerThreads);
            EpollEventLoopGroup loop = new EpollEventLoopGroup(1);
            ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                    .eventLoopGroup(loop)
                    .channelType(EpollDomainSocketChannel.class)
                    .usePlaintext()
                    .overrideAuthority("localhost")
                    .build();
            return new SocketDriver(server, loop, channel);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public ControllerGrpc.ControllerBlockingStub controller() {
        return ControllerGrpc.newBlockingStub(channel);
    }

    public NodeGrpc.NodeBlockingStub node() {
        return NodeGrpc.newBlockingStub(channel);
    }

    @Override
    public void close() {
        channel.shutdownNow();
        loop.shutdownGracefully();
        server.close();
    }
}
