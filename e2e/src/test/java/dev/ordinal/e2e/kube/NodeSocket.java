package dev.ordinal.e2e.kube;

import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.IdentityGrpc;
import dev.ordinal.csi.v1.NodeGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC client on one driver process's CSI socket, as kubelet or a sidecar holds one (also the client side of the
 * emulated cluster's {@code CsiEndpoint}).
 */
public final class NodeSocket implements AutoCloseable {

    private final Path path;
    private final EpollEventLoopGroup loop = new EpollEventLoopGroup(1);
    private final ManagedChannel channel;

    public NodeSocket(Path path) {
        this.path = path;
        this.channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(path.toString())).eventLoopGroup(loop)
                .channelType(EpollDomainSocketChannel.class).usePlaintext().build();
    }

    public Path path() {
        return path;
    }

    public NodeGrpc.NodeBlockingStub node() {
        return NodeGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    public ControllerGrpc.ControllerBlockingStub controller() {
        return ControllerGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    public IdentityGrpc.IdentityBlockingStub identity() {
        return IdentityGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
