package dev.ordinal.driver.csi;

import static dev.ordinal.driver.support.Csi.assertStatus;
import static dev.ordinal.driver.support.Csi.mount;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.csi.v1.CapacityRange;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.GetCapacityRequest;
import dev.ordinal.csi.v1.ListVolumesRequest;
import dev.ordinal.csi.v1.NodeGetVolumeStatsRequest;
import dev.ordinal.csi.v1.NodePublishVolumeRequest;
import dev.ordinal.csi.v1.NodeStageVolumeRequest;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.ValidateVolumeCapabilitiesRequest;
import dev.ordinal.csi.v1.VolumeCapability;
import dev.ordinal.driver.support.InProcessDriver;
import dev.ordinal.driver.support.TestRoot;
import io.grpc.Status;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The validation matrix: every required field missing, every malformed value, on every RPC, answered with the
 * spec's status code and a message that names what was wrong. Runs against the real services in-process.
 */
class CsiValidationTest {

    private static TestRoot root;
    private static InProcessDriver driver;
    private static String volumeId;

    @BeforeAll
    static void start() {
        root = TestRoot.create("validation");
        driver = InProcessDriver.start(root.path(), Map.of("d1", root.dir("disks/d1")));
        volumeId = driver.controller().createVolume(CreateVolumeRequest.newBuilder().setName("existing")
                .addVolumeCapabilities(mount("")).putParameters("layout", "dir").build()).getVolume().getVolumeId();
    }

    @AfterAll
    static void stop() {
        driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(volumeId).build());
        driver.close();
        root.close();
    }

    /** rule, call, expected code, words the message must contain. */
    static Stream<Arguments> matrix() {
        VolumeCapability noMode = VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.getDefaultInstance()).build();
        VolumeCapability noAccessType = VolumeCapability.newBuilder()
                .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                        .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER)).build();
        VolumeCapability multiNode = mount("").toBuilder().setAccessMode(VolumeCapability.AccessMode.newBuilder()
                .setMode(VolumeCapability.AccessMode.Mode.MULTI_NODE_MULTI_WRITER)).build();
        VolumeCapability injectedFlag = mount("").toBuilder().setMount(VolumeCapability.MountVolume.newBuilder()
                .addMountFlags("noatime,suid")).build();
        VolumeCapability forbiddenFlag = mount("").toBuilder().setMount(VolumeCapability.MountVolume.newBuilder()
                .addMountFlags("remount")).build();
        CreateVolumeRequest good = CreateVolumeRequest.newBuilder().setName("v").addVolumeCapabilities(mount(""))
                .putParameters("layout", "dir").build();
        String staging = "/tmp/ordinal-test/never/staging";
        String target = "/tmp/ordinal-test/never/target";
        return Stream.of(
                row("CreateVolume: name is required", c -> c.create(good.toBuilder().clearName().build()),
                        Status.Code.INVALID_ARGUMENT, "name"),
                row("CreateVolume: names longer than 128 bytes are refused",
                        c -> c.create(good.toBuilder().setName("n".repeat(129)).build()),
                        Status.Code.INVALID_ARGUMENT, "128"),
                row("CreateVolume: control characters in names are refused",
                        c -> c.create(good.toBuilder().setName("bad\u0001name").build()),
                        Status.Code.INVALID_ARGUMENT, "control"),
                row("CreateVolume: volume_capabilities is required",
                        c -> c.create(good.toBuilder().clearVolumeCapabilities().build()),
                        Status.Code.INVALID_ARGUMENT, "volume_capabilities"),
                row("CreateVolume: access_mode is required",
                        c -> c.create(good.toBuilder().clearVolumeCapabilities().addVolumeCapabilities(noMode).build()),
                        Status.Code.INVALID_ARGUMENT, "access_mode"),
                row("CreateVolume: access_type is required",
                        c -> c.create(good.toBuilder().clearVolumeCapabilities().addVolumeCapabilities(noAccessType)
                                .build()),
                        Status.Code.INVALID_ARGUMENT, "access_type"),
                row("CreateVolume: multi-node access modes are refused",
                        c -> c.create(good.toBuilder().clearVolumeCapabilities().addVolumeCapabilities(multiNode)
                                .build()),
                        Status.Code.INVALID_ARGUMENT, "MULTI_NODE_MULTI_WRITER"),
                row("CreateVolume: negative capacity is refused",
                        c -> c.create(good.toBuilder().setCapacityRange(CapacityRange.newBuilder()
                                .setRequiredBytes(-1)).build()),
                        Status.Code.INVALID_ARGUMENT, "negative"),
                row("CreateVolume: required above limit is refused",
                        c -> c.create(good.toBuilder().setCapacityRange(CapacityRange.newBuilder()
                                .setRequiredBytes(10 << 20).setLimitBytes(1 << 20)).build()),
                        Status.Code.INVALID_ARGUMENT, "limit_bytes"),
                row("CreateVolume: a limit below the layout's minimum is out of range",
                        c -> c.create(good.toBuilder().putParameters("layout", "image")
                                .setCapacityRange(CapacityRange.newBuilder().setLimitBytes(4096)).build()),
                        Status.Code.OUT_OF_RANGE, "below"),
                row("CreateVolume: unknown StorageClass parameters are refused",
                        c -> c.create(good.toBuilder().putParameters("layuot", "dir").build()),
                        Status.Code.INVALID_ARGUMENT, "layuot"),
                row("CreateVolume: a placement other than driver or companion is refused",
                        c -> c.create(good.toBuilder().putParameters("placement", "scheduler").build()),
                        Status.Code.INVALID_ARGUMENT, "scheduler"),
                row("CreateVolume: unknown layouts are refused",
                        c -> c.create(good.toBuilder().putParameters("layout", "lvm").build()),
                        Status.Code.INVALID_ARGUMENT, "lvm"),
                row("CreateVolume: block access needs the image layout",
                        c -> c.create(good.toBuilder().clearVolumeCapabilities()
                                .addVolumeCapabilities(dev.ordinal.driver.support.Csi.block()).build()),
                        Status.Code.INVALID_ARGUMENT, "block"),
                row("CreateVolume: unsupported fsType is refused",
                        c -> c.create(good.toBuilder().putParameters("layout", "image").clearVolumeCapabilities()
                                .addVolumeCapabilities(mount("vfat")).build()),
                        Status.Code.INVALID_ARGUMENT, "vfat"),
                row("CreateVolume: mount flags cannot smuggle options with commas",
                        c -> c.create(good.toBuilder().clearVolumeCapabilities().addVolumeCapabilities(injectedFlag)
                                .build()),
                        Status.Code.INVALID_ARGUMENT, "mount flag"),
                row("CreateVolume: mount flags that change what is mounted are refused",
                        c -> c.create(good.toBuilder().clearVolumeCapabilities().addVolumeCapabilities(forbiddenFlag)
                                .build()),
                        Status.Code.INVALID_ARGUMENT, "remount"),
                row("DeleteVolume: volume_id is required",
                        c -> c.driver.controller().deleteVolume(DeleteVolumeRequest.getDefaultInstance()),
                        Status.Code.INVALID_ARGUMENT, "volume_id"),
                row("ValidateVolumeCapabilities: volume_id is required",
                        c -> c.driver.controller().validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest
                                .newBuilder().addVolumeCapabilities(mount("")).build()),
                        Status.Code.INVALID_ARGUMENT, "volume_id"),
                row("ValidateVolumeCapabilities: volume_capabilities is required",
                        c -> c.driver.controller().validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest
                                .newBuilder().setVolumeId(volumeId).build()),
                        Status.Code.INVALID_ARGUMENT, "volume_capabilities"),
                row("ValidateVolumeCapabilities: unknown volume is NOT_FOUND",
                        c -> c.driver.controller().validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest
                                .newBuilder().setVolumeId("local:test-node:d1:nope").addVolumeCapabilities(mount(""))
                                .build()),
                        Status.Code.NOT_FOUND, "nope"),
                row("ListVolumes: a token ListVolumes never gave is ABORTED",
                        c -> c.driver.controller().listVolumes(ListVolumesRequest.newBuilder()
                                .setStartingToken("!!not-base64!!").build()),
                        Status.Code.ABORTED, "starting_token"),
                row("ListVolumes: negative max_entries is refused",
                        c -> c.driver.controller().listVolumes(ListVolumesRequest.newBuilder().setMaxEntries(-1)
                                .build()),
                        Status.Code.INVALID_ARGUMENT, "max_entries"),
                row("GetCapacity: unknown parameters are refused",
                        c -> c.driver.controller().getCapacity(GetCapacityRequest.newBuilder()
                                .putParameters("colour", "blue").build()),
                        Status.Code.INVALID_ARGUMENT, "colour"),
                row("NodeStageVolume: volume_id is required",
                        c -> c.driver.node().nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                                .setStagingTargetPath(staging).setVolumeCapability(mount("")).build()),
                        Status.Code.INVALID_ARGUMENT, "volume_id"),
                row("NodeStageVolume: staging_target_path is required",
                        c -> c.driver.node().nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                                .setVolumeId(volumeId).setVolumeCapability(mount("")).build()),
                        Status.Code.INVALID_ARGUMENT, "staging_target_path"),
                row("NodeStageVolume: volume_capability is required",
                        c -> c.driver.node().nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                                .setVolumeId(volumeId).setStagingTargetPath(staging).build()),
                        Status.Code.INVALID_ARGUMENT, "volume_capability"),
                row("NodeStageVolume: relative paths are refused",
                        c -> c.driver.node().nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                                .setVolumeId(volumeId).setStagingTargetPath("relative/staging")
                                .setVolumeCapability(mount("")).build()),
                        Status.Code.INVALID_ARGUMENT, "absolute"),
                row("NodeStageVolume: paths with .. are refused",
                        c -> c.driver.node().nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                                .setVolumeId(volumeId).setStagingTargetPath("/tmp/ordinal-test/../../etc")
                                .setVolumeCapability(mount("")).build()),
                        Status.Code.INVALID_ARGUMENT, ".."),
                row("NodeStageVolume: paths outside the publish roots are refused",
                        c -> c.driver.node().nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                                .setVolumeId(volumeId).setStagingTargetPath("/etc/ordinal-staging")
                                .setVolumeCapability(mount("")).build()),
                        Status.Code.INVALID_ARGUMENT, "outside"),
                row("NodeStageVolume: unknown volume is NOT_FOUND",
                        c -> c.driver.node().nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                                .setVolumeId("local:test-node:d1:missing").setStagingTargetPath(c.path("s"))
                                .setVolumeCapability(mount("")).build()),
                        Status.Code.NOT_FOUND, "missing"),
                row("NodeStageVolume: a volume of another node is NOT_FOUND",
                        c -> c.driver.node().nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                                .setVolumeId("local:other-node:d1:x").setStagingTargetPath(c.path("s"))
                                .setVolumeCapability(mount("")).build()),
                        Status.Code.NOT_FOUND, "other-node"),
                row("NodeUnstageVolume: staging_target_path is required",
                        c -> c.driver.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                                .setVolumeId(volumeId).build()),
                        Status.Code.INVALID_ARGUMENT, "staging_target_path"),
                row("NodePublishVolume: target_path is required",
                        c -> c.driver.node().nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                                .setVolumeId(volumeId).setStagingTargetPath(staging).setVolumeCapability(mount(""))
                                .build()),
                        Status.Code.INVALID_ARGUMENT, "target_path"),
                row("NodePublishVolume: staging_target_path is required (STAGE_UNSTAGE_VOLUME is advertised)",
                        c -> c.driver.node().nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                                .setVolumeId(volumeId).setTargetPath(target).setVolumeCapability(mount(""))
                                .build()),
                        Status.Code.INVALID_ARGUMENT, "staging_target_path"),
                row("NodePublishVolume: volume_capability is required",
                        c -> c.driver.node().nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                                .setVolumeId(volumeId).setStagingTargetPath(staging).setTargetPath(target).build()),
                        Status.Code.INVALID_ARGUMENT, "volume_capability"),
                row("NodePublishVolume: a volume that is not staged is FAILED_PRECONDITION",
                        c -> c.driver.node().nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                                .setVolumeId(volumeId).setStagingTargetPath(c.path("not-staged"))
                                .setTargetPath(c.path("t")).setVolumeCapability(mount("")).build()),
                        Status.Code.FAILED_PRECONDITION, "not staged"),
                row("NodeUnpublishVolume: target_path is required",
                        c -> c.driver.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                                .setVolumeId(volumeId).build()),
                        Status.Code.INVALID_ARGUMENT, "target_path"),
                row("NodeUnpublishVolume: unknown volume is NOT_FOUND",
                        c -> c.driver.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                                .setVolumeId("local:test-node:d1:missing").setTargetPath(c.path("t")).build()),
                        Status.Code.NOT_FOUND, "missing"),
                row("NodeGetVolumeStats: volume_path is required",
                        c -> c.driver.node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                                .setVolumeId(volumeId).build()),
                        Status.Code.INVALID_ARGUMENT, "volume_path"),
                row("NodeGetVolumeStats: unknown volume is NOT_FOUND",
                        c -> c.driver.node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                                .setVolumeId("not-an-ordinal-id").setVolumePath(c.path("t")).build()),
                        Status.Code.NOT_FOUND, "not-an-ordinal-id"),
                row("NodeGetVolumeStats: a path that does not exist is NOT_FOUND",
                        c -> c.driver.node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                                .setVolumeId(volumeId).setVolumePath(c.path("no/such/path")).build()),
                        Status.Code.NOT_FOUND, "does not exist"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("matrix")
    void answersWithTheSpecCode(String rule, Consumer<Calls> call, Status.Code code, String mentions) {
        String message = assertStatus(code, () -> call.accept(new Calls(driver)));
        assertTrue(message.contains(mentions), () -> rule + ": message '" + message + "' should mention '"
                + mentions + "'");
    }

    private static Arguments row(String rule, Consumer<Calls> call, Status.Code code, String mentions) {
        return Arguments.of(rule, call, code, mentions);
    }

    /** What a row may use: the driver's stubs and paths inside this test's root. */
    record Calls(InProcessDriver driver) {
        void create(CreateVolumeRequest request) {
            driver.controller().createVolume(request);
        }

        String path(String relative) {
            return root.path().resolve(relative).toString();
        }
    }
}
