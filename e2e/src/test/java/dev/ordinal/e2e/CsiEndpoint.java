package dev.ordinal.e2e;

import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.IdentityGrpc;
import dev.ordinal.csi.v1.NodeGrpc;
import dev.ordinal.driver.DriverAssembly;
import dev.ordinal.driver.csi.CsiSocketServer;
import dev.ordinal.e2e.kube.NodeSocket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * One driver process as the sidecars and kubelet see it: its services served on a unix socket by the driver's own
 * {@link CsiSocketServer} (as in production, not an in-process channel), and a client channel to that socket.
 */
final class CsiEndpoint implements AutoCloseable {

    private final DriverAssembly assembly;
    private final CsiSocketServer server;
    private final NodeSocket client;

    private CsiEndpoint(DriverAssembly assembly, CsiSocketServer server, NodeSocket client) {
        this.assembly = assembly;
        this.server = server;
        this.client = client;
    }

    static CsiEndpoint serve(DriverAssembly assembly, Path socket) {
        CsiSocketServer server;
        try {
            server = CsiSocketServer.start(socket, assembly.services(), new SimpleMeterRegistry(), 8);
        } catch (IOException e) {
            assembly.close();
            throw new UncheckedIOException(e);
        }
        return new CsiEndpoint(assembly, server, new NodeSocket(socket));
    }

    DriverAssembly assembly() {
        return assembly;
    }

    ControllerGrpc.ControllerBlockingStub controller() {
        return client.controller();
    }

    NodeGrpc.NodeBlockingStub node() {
        return client.node();
    }

    IdentityGrpc.IdentityBlockingStub identity() {
        return client.identity();
    }

    @Override
    public void close() {
        client.close();
        server.close();
        assembly.close();
    }
}
