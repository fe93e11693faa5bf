package dev.ordinal.e2e;

import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.IdentityGrpc;
import dev.ordinal.csi.v1.NodeGrpc;
import dev.ordinal.driver.DriverAssembly;
import dev.ordinal.driver.csi.CsiSocketServer;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One driver process as the sidecars and kubelet see it: its services served on a unix socket by the driver's own
 * {@link CsiSocketServer} (as in production, not an in-process channel), and a client channel to that socket.
 */
final class CsiEndpoint implements AutoCloseable {

    private final DriverAssembly assembly;
    private final CsiSocketServer server;
    private final EpollEventLoopGroup clientLoop;
    private final ManagedChannel channel;

    private CsiEndpoint(DriverAssembly assembly, CsiSocketServer server, EpollEventLoopGroup clientLoop,
            ManagedChannel channel) {
        this.assembly = assembly;
        this.server = server;
        this.clientLoop = clientLoop;
        this.channel = channel;
    }

    static CsiEndpoint serve(DriverAssembly assembly, Path socket) {
        CsiSocketServer server;
        try {
            server = CsiSocketServer.start(socket, assembly.services(), new SimpleMeterRegistry(), 8);
        } catch (IOException e) {
            assembly.close();
            throw new UncheckedIOException(e);
        }
        EpollEventLoopGroup loop = new EpollEventLoopGroup(1);
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .eventLoopGroup(loop).channelType(EpollDomainSocketChannel.class).usePlaintext().build();
        return new CsiEndpoint(assembly, server, loop, channel);
    }

    DriverAssembly assembly() {
        return assembly;
    }

    ControllerGrpc.ControllerBlockingStub controller() {
        return ControllerGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    NodeGrpc.NodeBlockingStub node() {
        return NodeGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    IdentityGrpc.IdentityBlockingStub identity() {
        return IdentityGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        server.close();
        assembly.close();
    }
}
