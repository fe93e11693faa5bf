package dev.ordinal.driver;

import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.create;
import static dev.ordinal.driver.support.Csi.mount;
import static dev.ordinal.driver.support.Csi.publish;
import static dev.ordinal.driver.support.Csi.stage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.csi.v1.ControllerGetCapabilitiesRequest;
import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.GetCapacityRequest;
import dev.ordinal.csi.v1.GetPluginCapabilitiesRequest;
import dev.ordinal.csi.v1.GetPluginInfoRequest;
import dev.ordinal.csi.v1.GetPluginInfoResponse;
import dev.ordinal.csi.v1.IdentityGrpc;
import dev.ordinal.csi.v1.ListVolumesRequest;
import dev.ordinal.csi.v1.NodeGetCapabilitiesRequest;
import dev.ordinal.csi.v1.NodeGetInfoRequest;
import dev.ordinal.csi.v1.NodeGetVolumeStatsRequest;
import dev.ordinal.csi.v1.NodeGetVolumeStatsResponse;
import dev.ordinal.csi.v1.NodeGrpc;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.PluginCapability;
import dev.ordinal.csi.v1.ProbeRequest;
import dev.ordinal.csi.v1.ValidateVolumeCapabilitiesRequest;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.driver.support.Csi;
import dev.ordinal.driver.support.TestRoot;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The driver as users run it: the Quarkus application in {@code all} mode, every RPC over its real unix socket
 * with a real gRPC client, and the management port's health and metrics.
 */
@QuarkusTest
class DriverSocketTest {

    private static final Path SOCKET = Path.of(System.getProperty("ordinal-test-dir", "/tmp/ordinal-test/quarkus"),
            "csi.sock");
    private static EpollEventLoopGroup loop;
    private static ManagedChannel channel;
    private static TestRoot kubelet;

    @BeforeAll
    static void connect() {
        loop = new EpollEventLoopGroup(1);
        channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(SOCKET.toString()))
                .eventLoopGroup(loop)
                .channelType(EpollDomainSocketChannel.class)
                .usePlaintext()
                .overrideAuthority("localhost")
                .build();
        kubelet = TestRoot.create("kubelet");
    }

    @AfterAll
    static void disconnect() {
        channel.shutdownNow();
        loop.shutdownGracefully();
        kubelet.close();
    }

    /** The management port the test run was given (a free one). */
    private static int managementPort() {
        return org.eclipse.microprofile.config.ConfigProvider.getConfig()
                .getValue("quarkus.management.test-port", Integer.class);
    }

    @Test
    void identityOverTheSocket() throws IOException {
        IdentityGrpc.IdentityBlockingStub identity = IdentityGrpc.newBlockingStub(channel);
        GetPluginInfoResponse info = identity.getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
        assertEquals("ordinal.csi.dev", info.getName());
        assertEquals("0.1.0-SNAPSHOT", info.getVendorVersion());
        List<PluginCapability> capabilities = identity.getPluginCapabilities(
                GetPluginCapabilitiesRequest.getDefaultInstance()).getCapabilitiesList();
        assertEquals(List.of(PluginCapability.Service.Type.CONTROLLER_SERVICE,
                PluginCapability.Service.Type.VOLUME_ACCESSIBILITY_CONSTRAINTS), capabilities.stream()
                .filter(PluginCapability::hasService).map(c -> c.getService().getType()).toList());
        assertEquals(List.of(PluginCapability.VolumeExpansion.Type.ONLINE), capabilities.stream()
                .filter(PluginCapability::hasVolumeExpansion).map(c -> c.getVolumeExpansion().getType()).toList());
        assertTrue(identity.probe(ProbeRequest.getDefaultInstance()).getReady().getValue());
        // Only root (kubelet, the sidecars) may talk to the driver.
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(SOCKET)));
    }

    @Test
    void aVolumeLifecycleOverTheSocket() throws Exception {
        ControllerGrpc.ControllerBlockingStub controller = ControllerGrpc.newBlockingStub(channel);
        NodeGrpc.NodeBlockingStub node = NodeGrpc.newBlockingStub(channel);
        assertEquals(8, controller.controllerGetCapabilities(ControllerGetCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesCount());
        assertEquals(5, node.nodeGetCapabilities(NodeGetCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesCount());
        assertEquals("socket-test-node", node.nodeGetInfo(NodeGetInfoRequest.getDefaultInstance()).getNodeId());
        long before = controller.getCapacity(GetCapacityRequest.newBuilder().putParameters("layout", "dir").build())
                .getAvailableCapacity();

        Volume volume = controller.createVolume(create("socket-pvc", 8 * MIB, "dir", mount(""))).getVolume();
        assertEquals(8 * MIB, volume.getCapacityBytes());
        assertTrue(controller.listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesList().stream()
                .anyMatch(e -> e.getVolume().getVolumeId().equals(volume.getVolumeId())));
        assertTrue(controller.validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest.newBuilder()
                .setVolumeId(volume.getVolumeId()).addVolumeCapabilities(mount("")).build()).hasConfirmed());
        assertEquals(before - 8 * MIB, controller.getCapacity(GetCapacityRequest.newBuilder()
                .putParameters("layout", "dir").build()).getAvailableCapacity());

        Path staging = kubelet.dir("staging");
        Path target = kubelet.path().resolve("target");
        node.nodeStageVolume(stage(volume.getVolumeId(), staging, mount("")));
        node.nodePublishVolume(publish(volume.getVolumeId(), staging, target, mount(""), false));
        Files.writeString(target.resolve("f"), "data");
        NodeGetVolumeStatsResponse stats = node.nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                .setVolumeId(volume.getVolumeId()).setVolumePath(target.toString()).build());
        assertFalse(stats.getVolumeCondition().getAbnormal());
        node.nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId())
                .setTargetPath(target.toString()).build());
        node.nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId())
                .setStagingTargetPath(staging.toString()).build());
        controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId()).build());
        assertFalse(Files.exists(target));

        Csi.assertStatus(Status.Code.NOT_FOUND, () -> node.nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                .setVolumeId(volume.getVolumeId()).setVolumePath(staging.toString()).build()));
    }

    @Test
    void healthAndMetricsOnTheManagementPort() throws Exception {
        IdentityGrpc.newBlockingStub(channel).probe(ProbeRequest.getDefaultInstance());
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + managementPort() + "/q/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health.body());
        assertTrue(health.body().contains("\"UP\""), health.body());
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + managementPort() + "/q/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        // A request naming no format gets the plain text format, whose label sets may end in a comma.
        assertTrue(java.util.regex.Pattern.compile("csi_plugin_operations_seconds_bucket\\{driver_name=\"ordinal.csi.dev\","
                + "grpc_status_code=\"OK\",method_name=\"/csi.v1.Identity/Probe\",le=\"0.1\",?}").matcher(metrics.body())
                .find(), metrics.body());
    }
}
