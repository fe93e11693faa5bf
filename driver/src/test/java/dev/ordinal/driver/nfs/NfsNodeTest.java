package dev.ordinal.driver.nfs;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import static dev.ordinal.driver.nfs.NfsTestSupport.create;
import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.assertStatus;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.csi.v1.CapacityRange;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.NodeExpandVolumeRequest;
import dev.ordinal.csi.v1.NodeGetVolumeStatsRequest;
import dev.ordinal.csi.v1.NodeGetVolumeStatsResponse;
import dev.ordinal.csi.v1.NodePublishVolumeRequest;
import dev.ordinal.csi.v1.NodeStageVolumeRequest;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.csi.v1.VolumeUsage;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.metrics.DriverMetrics;
import dev.ordinal.driver.support.InProcessDriver;
import dev.ordinal.driver.support.TestRoot;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The node half of NFS volumes in {@code bind} mode, with real bind mounts: this kernel has no NFS client, so the
 * export is a directory the node "has mounted" at its configured path, as with autofs. Only the mount command
 * differs in {@code nfs} mode, and NfsMountArgsTest checks it exactly.
 */
class NfsNodeTest {

    private static final int DIRS = 20;
    private static final int FILES_PER_DIR = 1000;
    private static final int FILE_BYTES = 100;

    private TestRoot root;
    private Path export;
    private InProcessDriver driver;
    private final CountDownLatch walksMayRun = new CountDownLatch(1);
    private Volume volume;
    private Path staging;
    private Path target;

    /** Holds every usage walk until the test lets it run, so a test can see what an RPC answers meanwhile. */
    private final Executor gatedWalker = task -> Thread.ofPlatform().daemon().start(() -> {
        try {
            walksMayRun.await();
            task.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    });

    @BeforeEach
    void start() {
        root = TestRoot.create("nfs-node");
        export = root.dir("exports/e1");
        driver = InProcessDriver.start(root.path(), Map.of("d1", root.dir("disks/d1")), Map.of(),
                NfsTestSupport.settings(export, root.dir("state"), NfsSettings.NodeMount.BIND,
                        new UsageCache.Limits(1_000_000, Duration.ofSeconds(60), Duration.ofMinutes(10),
                                Duration.ofMillis(20)), gatedWalker));
        volume = driver.controller().createVolume(create("pvc-n", MIB, "shop", "data-db-0", "pvc-n", Map.of())
                .build()).getVolume();
        staging = root.path().resolve("kubelet/plugins/staging/pvc-n");
        target = root.path().resolve("kubelet/pods/p1/volumes/pvc-n");
    }

    @AfterEach
    void stop() {
        walksMayRun.countDown();
        driver.node().nodeUnpublishVolume(unpublish());
        driver.node().nodeUnstageVolume(unstage());
        driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId()).build());
        driver.close();
        root.close();
    }

    private NodeStageVolumeRequest stage() {
        return NodeStageVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId())
                .setStagingTargetPath(staging.toString()).setVolumeCapability(NfsTestSupport.multiWriter())
                .putAllVolumeContext(volume.getVolumeContextMap()).build();
    }

    private NodePublishVolumeRequest publish(boolean readOnly) {
        return NodePublishVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId())
                .setStagingTargetPath(staging.toString()).setTargetPath(target.toString())
                .setVolumeCapability(NfsTestSupport.multiWriter()).setReadonly(readOnly).build();
    }

    private NodeUnpublishVolumeRequest unpublish() {
        return NodeUnpublishVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId())
                .setTargetPath(target.toString()).build();
    }

    private NodeUnstageVolumeRequest unstage() {
        return NodeUnstageVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId())
                .setStagingTargetPath(staging.toString()).build();
    }

    private NodeGetVolumeStatsResponse stats() {
        return driver.node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                .setVolumeId(volume.getVolumeId()).setVolumePath(target.toString()).build());
    }

    private static VolumeUsage usage(NodeGetVolumeStatsResponse response, VolumeUsage.Unit unit) {
        return response.getUsageList().stream().filter(u -> u.getUnit() == unit).findFirst().orElseThrow();
    }

    @Test
    void aMalformedVolumeContextIsRefusedBeforeAnythingIsMounted() {
        // A refusal after the mount would leave the staging path mounted for a call that failed.
        String message = assertStatus(Status.Code.INVALID_ARGUMENT, () -> driver.node().nodeStageVolume(
                stage().toBuilder().putVolumeContext("capacityBytes", "lots").build()));
        assertTrue(message.contains("capacityBytes"), message);
        assertFalse(MountTable.read().isMountPoint(staging), "staging path mounted by a refused NodeStageVolume");
    }

    @Test
    void stagePublishWriteThroughTheTargetAndUndoEverythingTwice() throws IOException {
        driver.node().nodeStageVolume(stage());
        driver.node().nodeStageVolume(stage()); // a retry: same volume staged there
        driver.node().nodePublishVolume(publish(false));
        driver.node().nodePublishVolume(publish(false));
        assertStatus(Status.Code.ALREADY_EXISTS, () -> driver.node().nodePublishVolume(publish(true)));

        Files.writeString(target.resolve("hello.txt"), "from the pod");
        assertEquals("from the pod", Files.readString(export.resolve("shop/data-db-0-pvc-n/hello.txt")),
                "the pod writes into the volume's directory on the export");

        driver.node().nodeUnpublishVolume(unpublish());
        driver.node().nodeUnpublishVolume(unpublish());
        assertFalse(Files.exists(target));
        driver.node().nodeUnstageVolume(unstage());
        driver.node().nodeUnstageVolume(unstage());
        assertFalse(MountTable.read().isMountPoint(staging));
        assertEquals("from the pod", Files.readString(export.resolve("shop/data-db-0-pvc-n/hello.txt")));
    }

    @Test
    void publishBeforeStageIsAFailedPrecondition() {
        assertStatus(Status.Code.FAILED_PRECONDITION, () -> driver.node().nodePublishVolume(publish(false)));
    }

    @Test
    void stageRefusesADirectoryReplacedByALinkOutOfTheExport() throws IOException {
        Path dir = export.resolve("shop");
        Path moved = export.resolve("shop-moved");
        Files.move(dir, moved);
        Files.createSymbolicLink(dir, root.dir("outside"));
        Files.createDirectories(root.path().resolve("outside/data-db-0-pvc-n"));
        String message = assertStatus(Status.Code.FAILED_PRECONDITION, () -> driver.node().nodeStageVolume(stage()));
        assertTrue(message.contains("symbolic link pointing outside"), message);
        assertFalse(MountTable.read().isMountPoint(staging));
        Files.delete(dir);
        Files.move(moved, dir);
    }

    @Test
    void statsCountTheTreeInTheBackgroundNeverOnTheRpcThreadAndReportOverSize() throws IOException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DriverMetrics.into(registry, Duration.ofHours(1), 1_000).watchNfs(new NodeName("node-a"),
                driver.assembly().nfsNode().orElseThrow());
        driver.node().nodeStageVolume(stage());
        driver.node().nodePublishVolume(publish(false));
        byte[] content = new byte[FILE_BYTES];
        for (int d = 0; d < DIRS; d++) {
            Path sub = Files.createDirectories(target.resolve("d" + d));
            for (int f = 0; f < FILES_PER_DIR; f++) {
                Files.write(sub.resolve("f" + f), content);
            }
        }
        long bytes = (long) DIRS * FILES_PER_DIR * FILE_BYTES;
        long inodes = 1 + DIRS + (long) DIRS * FILES_PER_DIR;

        // The walk is held back: the RPC answers anyway, with nothing counted yet and saying so.
        NodeGetVolumeStatsResponse first = stats();
        assertEquals(0, usage(first, VolumeUsage.Unit.BYTES).getUsed());
        assertTrue(first.getVolumeCondition().getMessage().contains("still being counted"),
                first.getVolumeCondition().getMessage());
        assertFalse(first.getVolumeCondition().getAbnormal());
        assertTrue(registry.find("ordinal.volume.used").tag("layout", "nfs").gauges().isEmpty(),
                "no used series before the first walk: 0 would be a lie");

        walksMayRun.countDown();
        await().atMost(Duration.ofSeconds(60)).until(() -> usage(stats(), VolumeUsage.Unit.BYTES).getUsed() == bytes);
        NodeGetVolumeStatsResponse counted = stats();
        assertEquals(inodes, usage(counted, VolumeUsage.Unit.INODES).getUsed());
        assertEquals(MIB, usage(counted, VolumeUsage.Unit.BYTES).getTotal(), "total is the requested size");
        assertEquals(0, usage(counted, VolumeUsage.Unit.BYTES).getAvailable());
        // 2,000,000 bytes in a 1 MiB volume: over its soft limit.
        assertTrue(counted.getVolumeCondition().getAbnormal());
        assertTrue(counted.getVolumeCondition().getMessage().matches(".* uses .* of its 1(\\.0)? ?MiB"),
                counted.getVolumeCondition().getMessage());
        assertEquals(1.0, overSize(registry), "the metric says so too");
        // The same usage series as local volumes, with the kubelet's labels and the PV's name.
        assertEquals(bytes, registry.get("ordinal.volume.used").tag("layout", "nfs").tag("namespace", "shop")
                .tag("persistentvolumeclaim", "data-db-0").tag("persistentvolume", "pvc-n").tag("node", "node-a")
                .gauge().value());
        assertEquals(MIB, registry.get("ordinal.volume.capacity").tag("layout", "nfs")
                .tag("persistentvolumeclaim", "data-db-0").gauge().value());

        // The controller grew the volume; the node learns the new size and the condition clears.
        long grown = driver.node().nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                .setVolumeId(volume.getVolumeId()).setVolumePath(target.toString())
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(4 * MIB)).build()).getCapacityBytes();
        assertEquals(4 * MIB, grown);
        NodeGetVolumeStatsResponse after = stats();
        assertFalse(after.getVolumeCondition().getAbnormal(), after.getVolumeCondition().getMessage());
        assertEquals(4 * MIB - bytes, usage(after, VolumeUsage.Unit.BYTES).getAvailable());
        assertEquals(0.0, overSize(registry), "and the metric clears at once");
        assertEquals(4 * MIB, registry.get("ordinal.volume.capacity").tag("layout", "nfs")
                .tag("persistentvolumeclaim", "data-db-0").gauge().value());
    }

    private static double overSize(SimpleMeterRegistry registry) {
        return registry.get("ordinal_nfs_volume_over_size").tag("namespace", "shop")
                .tag("persistentvolumeclaim", "data-db-0").gauge().value();
    }

    @Test
    void statsOfAPathThatIsNotMountedAreAbnormalAndOfAMissingPathNotFound() throws IOException {
        Files.createDirectories(target);
        NodeGetVolumeStatsResponse response = stats();
        assertTrue(response.getVolumeCondition().getAbnormal());
        assertTrue(response.getVolumeCondition().getMessage().contains("not mounted"));
        Files.delete(target);
        assertStatus(Status.Code.NOT_FOUND, this::stats);
    }
}
