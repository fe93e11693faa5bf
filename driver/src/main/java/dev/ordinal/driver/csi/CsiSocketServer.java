package dev.ordinal.driver.csi;

import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves the CSI services on a unix domain socket with grpc-java's Netty server on epoll. This path, rather than
 * Quarkus' Vert.x gRPC server, is the one that also works in a native executable (Vert.x 4 cannot bind a unix
 * socket there, quarkus#25928). Handlers run on a worker pool, never on the event loop: they mount, format and
 * wait for commands.
 */
public final class CsiSocketServer implements AutoCloseable {

    private static final String IDENTITY = "csi.v1.Identity";
    private static final Executor DIRECT = Runnable::run;

    private final Server server;
    private final EpollEventLoopGroup boss;
    private final EpollEventLoopGroup workers;
    private final ExecutorService handlers;
    private final Path socket;

    private CsiSocketServer(Server server, EpollEventLoopGroup boss, EpollEventLoopGroup workers,
            ExecutorService handlers, Path socket) {
        this.server = server;
        this.boss = boss;
        this.workers = workers;
        this.handlers = handlers;
        this.socket = socket;
    }

    /** The socket path in a CSI endpoint: {@code unix:///csi/csi.sock}, {@code unix:/csi/csi.sock} or a path. */
    public static Path socketPath(String endpoint) {
        String path = endpoint;
        if (endpoint.startsWith("unix://")) {
            path = endpoint.substring("unix://".length());
        } else if (endpoint.startsWith("unix:")) {
            path = endpoint.substring("unix:".length());
        } else if (endpoint.contains("://")) {
            throw new IllegalArgumentException("CSI endpoint " + endpoint + " is not a unix socket (unix:///path)");
        }
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("CSI endpoint " + endpoint + " must name an absolute socket path");
        }
        return Path.of(path);
    }

    public static CsiSocketServer start(Path socket, List<BindableService> services, MeterRegistry registry,
            int handlerThreads) throws IOException {
        Files.createDirectories(socket.getParent());
        // A socket file left by a previous process (killed, crashed) would make bind fail; nothing else is removed.
        if (Files.exists(socket) && !Files.isDirectory(socket) && !Files.isRegularFile(socket)) {
            Files.delete(socket);
        }
        EpollEventLoopGroup boss = new EpollEventLoopGroup(1, threads("csi-accept", false));
        EpollEventLoopGroup workers = new EpollEventLoopGroup(1, threads("csi-io", false));
        ExecutorService handlers = Executors.newFixedThreadPool(handlerThreads, threads("csi-handler", true));
        RpcObserver observer = new RpcObserver(registry);
        RequestLimits limits = new RequestLimits();
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .executor(handlers)
                // grpc-netty asks every accepted connection for TCP keep-alive, an option a unix domain socket
                // does not have, and Netty warns "Unknown channel option 'SO_KEEPALIVE'" per connection. A null
                // value takes the option off the bootstrap (Netty's childOption contract).
                .withChildOption(ChannelOption.SO_KEEPALIVE, null)
                // Identity calls never block (readiness is cached): answering them on the I/O thread saves two
                // thread hand-offs per liveness probe. Everything else runs on the handler pool.
                .callExecutor(new ServerCallExecutorSupplier() {
                    @Override
                    public <Q, A> Executor getExecutor(ServerCall<Q, A> call, Metadata metadata) {
                        return call.getMethodDescriptor().getServiceName().equals(IDENTITY) ? DIRECT : null;
                    }
                });
        for (BindableService service : services) {
            // The last interceptor runs first: the observer logs and times what the limits refuse too.
            builder.addService(ServerInterceptors.intercept(service, limits, observer));
        }
        Server server = builder.build().start();
        // 0660: only root (kubelet and the sidecars run as root) and the socket's group may talk to the driver.
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        return new CsiSocketServer(server, boss, workers, handlers, socket);
    }

    public Path socket() {
        return socket;
    }

    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
        handlers.shutdown();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        try {
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
            // The next start removes a stale socket anyway.
        }
    }

    private static ThreadFactory threads(String prefix, boolean daemon) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(daemon);
            return thread;
        };
    }
}
