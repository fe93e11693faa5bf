package dev.ordinal.driver.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ordinal.csi.v1.GetPluginInfoRequest;
import dev.ordinal.csi.v1.IdentityGrpc;
import dev.ordinal.driver.support.TestRoot;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * The socket server's own behaviour, seen from a real gRPC client on its unix socket: connections are served
 * without Netty complaining about options a unix domain socket does not have (a WARN line per connection was the
 * loudest part of the driver's log).
 */
class CsiSocketServerTest {

    @Test
    void connectionsAreServedWithoutChannelOptionWarnings() throws Exception {
        // Netty logs through java.util.logging here (the JBoss LogManager in tests): collect what its bootstrap says.
        Logger netty = Logger.getLogger("io.netty");
        List<String> warnings = new CopyOnWriteArrayList<>();
        Handler collect = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(String.valueOf(record.getMessage()));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        netty.addHandler(collect);
        EpollEventLoopGroup loop = new EpollEventLoopGroup(1);
        try (TestRoot root = TestRoot.create("socket-server")) {
            Path socket = root.path().resolve("csi.sock");
            IdentityService identity = new IdentityService("test", true, () -> true);
            try (CsiSocketServer server = CsiSocketServer.start(socket, List.of(identity), new SimpleMeterRegistry(),
                    2)) {
                for (int connection = 0; connection < 3; connection++) {
                    ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                            .eventLoopGroup(loop)
                            .channelType(EpollDomainSocketChannel.class)
                            .usePlaintext()
                            // The client side asks for keep-alive too; taken off here so that only the server speaks.
                            .withOption(ChannelOption.SO_KEEPALIVE, null)
                            .overrideAuthority("localhost")
                            .build();
                    try {
                        assertEquals("ordinal.csi.dev", IdentityGrpc.newBlockingStub(channel)
                                .getPluginInfo(GetPluginInfoRequest.getDefaultInstance()).getName());
                    } finally {
                        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                    }
                }
            }
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            netty.removeHandler(collect);
        }
        assertEquals(List.of(), warnings);
    }
}
