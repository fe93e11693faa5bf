package dev.ordinal.driver.csi;

import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.assertStatus;
import static dev.ordinal.driver.support.Csi.create;
import static dev.ordinal.driver.support.Csi.mount;
import static dev.ordinal.driver.support.Csi.publish;
import static dev.ordinal.driver.support.Csi.stage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.NodeGetCapabilitiesRequest;
import dev.ordinal.csi.v1.NodeGetInfoRequest;
import dev.ordinal.csi.v1.NodeGetInfoResponse;
import dev.ordinal.csi.v1.NodeGetVolumeStatsRequest;
import dev.ordinal.csi.v1.NodeGetVolumeStatsResponse;
import dev.ordinal.csi.v1.NodeServiceCapability;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.VolumeCapability;
import dev.ordinal.csi.v1.VolumeUsage;
import dev.ordinal.driver.host.Command;
import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.support.InProcessDriver;
import dev.ordinal.driver.support.TestRoot;
import dev.ordinal.driver.volume.VolumeLocks;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Node service's spec rules on a {@code dir} volume with real bind mounts (needs root, as in CI). Image and
 * subvolume volumes have their own tests; the rules here hold for every layout.
 */
class NodeConformanceTest {

    private TestRoot root;
    private InProcessDriver driver;
    private String volumeId;
    private Path staging;
    private Path target;

    @BeforeEach
    void start() {
        root = TestRoot.create("node");
        driver = InProcessDriver.start(root.path(), Map.of("d1", root.dir("disks/d1")));
        volumeId = driver.controller().createVolume(create("pvc-node", 10 * MIB, "dir", mount(""))).getVolume()
                .getVolumeId();
        staging = root.path().resolve("kubelet/staging/pv1");
        target = root.path().resolve("kubelet/pods/p1/volumes/pv1");
        root.dir("kubelet/staging/pv1");
        root.dir("kubelet/pods/p1/volumes");
    }

    @AfterEach
    void stop() {
        driver.node().nodeUnpublishVolume(unpublish(target));
        driver.node().nodeUnstageVolume(unstage());
        driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(volumeId).build());
        driver.close();
        root.close();
    }

    @Test
    void publishedVolumeShowsTheVolumesData() throws IOException {
        driver.node().nodeStageVolume(stage(volumeId, staging, mount("")));
        driver.node().nodePublishVolume(publish(volumeId, staging, target, mount(""), false));
        Files.writeString(target.resolve("hello.txt"), "from the pod");
        Path other = root.path().resolve("kubelet/pods/p2/volumes/pv1");
        root.dir("kubelet/pods/p2/volumes");
        driver.node().nodePublishVolume(publish(volumeId, staging, other, mount(""), false));
        assertEquals("from the pod", Files.readString(other.resolve("hello.txt")));
        driver.node().nodeUnpublishVolume(unpublish(other));
        assertFalse(Files.exists(other));
    }

    @Test
    void stageAndPublishTwiceAreOk() {
        driver.node().nodeStageVolume(stage(volumeId, staging, mount("")));
        driver.node().nodeStageVolume(stage(volumeId, staging, mount("")));
        driver.node().nodePublishVolume(publish(volumeId, staging, target, mount(""), false));
        driver.node().nodePublishVolume(publish(volumeId, staging, target, mount(""), false));
        long mountsAtTarget = MountTable.read().mountsAt(target);
        assertEquals(1, mountsAtTarget, "a retried publish must not stack a second mount");
    }

    @Test
    void readOnlyPublishRefusesWrites() {
        driver.node().nodeStageVolume(stage(volumeId, staging, mount("")));
        driver.node().nodePublishVolume(publish(volumeId, staging, target, mount(""), true));
        FileSystemException e = assertThrows(FileSystemException.class,
                () -> Files.writeString(target.resolve("nope"), "x"));
        assertTrue(String.valueOf(e.getReason()).contains("Read-only"), e.toString());
        assertTrue(MountTable.read().at(target).orElseThrow().readOnly());
    }

    @Test
    void publishingAgainWithAnotherReadOnlyFlagIsAlreadyExists() {
        driver.node().nodeStageVolume(stage(volumeId, staging, mount("")));
        driver.node().nodePublishVolume(publish(volumeId, staging, target, mount(""), false));
        assertStatus(Status.Code.ALREADY_EXISTS,
                () -> driver.node().nodePublishVolume(publish(volumeId, staging, target, mount(""), true)));
    }

    @Test
    void mountFlagsReachTheMount() {
        VolumeCapability noatime = mount("").toBuilder().setMount(VolumeCapability.MountVolume.newBuilder()
                .addMountFlags("noatime")).build();
        driver.node().nodeStageVolume(stage(volumeId, staging, noatime));
        driver.node().nodePublishVolume(publish(volumeId, staging, target, noatime, false));
        assertTrue(MountTable.read().at(target).orElseThrow().options().contains("noatime"));
    }

    @Test
    void unpublishOfATargetThatIsNotMountedIsOkAndLeavesWhatThePublishDidNotCreate() throws IOException {
        Files.createDirectories(target);
        driver.node().nodeUnpublishVolume(unpublish(target));
        // Made by the caller, not by a publish of this volume: not the driver's to delete (issue 24).
        assertTrue(Files.isDirectory(target));
        driver.node().nodeUnpublishVolume(unpublish(target));
    }

    @Test
    void unstageTwiceIsOk() {
        driver.node().nodeStageVolume(stage(volumeId, staging, mount("")));
        driver.node().nodeUnstageVolume(unstage());
        driver.node().nodeUnstageVolume(unstage());
        assertFalse(MountTable.read().isMountPoint(staging));
    }

    @Test
    void deletingAStagedVolumeIsFailedPrecondition() {
        driver.node().nodeStageVolume(stage(volumeId, staging, mount("")));
        String message = assertStatus(Status.Code.FAILED_PRECONDITION, () -> driver.controller().deleteVolume(
                DeleteVolumeRequest.newBuilder().setVolumeId(volumeId).build()));
        assertTrue(message.contains("staged"), message);
    }

    @Test
    void aNodeCallThatFindsAnOperationInFlightIsAborted() {
        try (VolumeLocks.Held busy = driver.locks().acquire(volumeId, "NodeUnstageVolume")) {
            assertStatus(Status.Code.ABORTED, () -> driver.node().nodeStageVolume(stage(volumeId, staging,
                    mount(""))));
        }
        driver.node().nodeStageVolume(stage(volumeId, staging, mount("")));
    }

    @Test
    void volumeStatsReportBytesInodesAndCondition() throws IOException {
        driver.node().nodeStageVolume(stage(volumeId, staging, mount("")));
        driver.node().nodePublishVolume(publish(volumeId, staging, target, mount(""), false));
        NodeGetVolumeStatsResponse stats = stats(target);
        assertFalse(stats.getVolumeCondition().getAbnormal(), stats.getVolumeCondition().getMessage());
        VolumeUsage bytes = usage(stats, VolumeUsage.Unit.BYTES);
        VolumeUsage inodes = usage(stats, VolumeUsage.Unit.INODES);
        assertTrue(bytes.getTotal() > 0 && bytes.getAvailable() > 0 && bytes.getUsed() > 0, stats.toString());
        assertTrue(inodes.getTotal() > 0 && inodes.getUsed() > 0, stats.toString());

        // The mount disappears behind the driver's back: the condition says so.
        Command.check("test unmount", "umount", target.toString());
        NodeGetVolumeStatsResponse gone = stats(target);
        assertTrue(gone.getVolumeCondition().getAbnormal());
        assertTrue(gone.getVolumeCondition().getMessage().contains("not mounted"),
                gone.getVolumeCondition().getMessage());
    }

    @Test
    void volumeStatsReportAMissingBackingStore() throws IOException {
        driver.node().nodeStageVolume(stage(volumeId, staging, mount("")));
        driver.node().nodeUnstageVolume(unstage());
        Path data = root.path().resolve("disks/d1/volumes").resolve(volumeId.substring(volumeId.lastIndexOf(':') + 1))
                .resolve("data");
        Files.delete(data);
        NodeGetVolumeStatsResponse stats = stats(staging);
        assertTrue(stats.getVolumeCondition().getAbnormal());
        assertTrue(stats.getVolumeCondition().getMessage().contains("missing"), stats.toString());
        Files.createDirectories(data);
    }

    @Test
    void nodeInfoNamesTheNodeAndItsTopology() {
        NodeGetInfoResponse info = driver.node().nodeGetInfo(NodeGetInfoRequest.getDefaultInstance());
        assertEquals(InProcessDriver.NODE, info.getNodeId());
        assertEquals(Map.of("topology.ordinal.csi.dev/node", InProcessDriver.NODE),
                info.getAccessibleTopology().getSegmentsMap());
        assertEquals(0, info.getMaxVolumesPerNode());
    }

    @Test
    void nodeCapabilitiesAdvertiseStagingStatsConditionAndExpansion() {
        Set<NodeServiceCapability.RPC.Type> types = new HashSet<>();
        driver.node().nodeGetCapabilities(NodeGetCapabilitiesRequest.getDefaultInstance()).getCapabilitiesList()
                .forEach(c -> types.add(c.getRpc().getType()));
        assertEquals(Set.of(NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME,
                NodeServiceCapability.RPC.Type.GET_VOLUME_STATS, NodeServiceCapability.RPC.Type.VOLUME_CONDITION,
                NodeServiceCapability.RPC.Type.SINGLE_NODE_MULTI_WRITER, NodeServiceCapability.RPC.Type.EXPAND_VOLUME),
                types);
    }

    private NodeGetVolumeStatsResponse stats(Path path) {
        return driver.node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder().setVolumeId(volumeId)
                .setVolumePath(path.toString()).build());
    }

    private static VolumeUsage usage(NodeGetVolumeStatsResponse stats, VolumeUsage.Unit unit) {
        return stats.getUsageList().stream().filter(u -> u.getUnit() == unit).findFirst().orElseThrow();
    }

    private NodeUnpublishVolumeRequest unpublish(Path path) {
        return NodeUnpublishVolumeRequest.newBuilder().setVolumeId(volumeId).setTargetPath(path.toString()).build();
    }

    private NodeUnstageVolumeRequest unstage() {
        return NodeUnstageVolumeRequest.newBuilder().setVolumeId(volumeId).setStagingTargetPath(staging.toString())
                .build();
    }
}
