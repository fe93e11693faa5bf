package dev.ordinal.driver;

import static dev.ordinal.driver.support.Csi.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.VolumeCapability;
import dev.ordinal.driver.support.Csi;
import dev.ordinal.driver.support.SocketDriver;
import dev.ordinal.driver.support.TestRoot;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hundreds of image volumes through a pod's whole life over the real socket, several at once, the way kubelet and
 * the provisioner drive them: create, stage, publish, write, unpublish, unstage, delete, each call right after the
 * previous one answered. Every call must answer OK the first time: a DeleteVolume right after a successful
 * NodeUnstageVolume used to be refused as "still staged or published" because the loop device was detached
 * only after the unstage answered (issue 14, item 7). Afterwards nothing is left on the disk or attached.
 */
class ImageChurnTest {

    private static final int VOLUMES = 200;
    private static final int CONCURRENCY = 3;

    private TestRoot root;
    private SocketDriver driver;
    private Path disk;

    @BeforeEach
    void start() {
        root = TestRoot.create("churn");
        disk = root.dir("disks/d1");
        driver = SocketDriver.start(root.path(), Map.of("d1", disk), CONCURRENCY * 2);
    }

    @AfterEach
    void stop() {
        try {
            driver.close();
        } finally {
            root.close();
        }
    }

    @Test
    void everyCallOfEveryLifeAnswersOkAndNothingIsLeft() throws Exception {
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        ExecutorService pods = Executors.newFixedThreadPool(CONCURRENCY);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < CONCURRENCY; w++) {
                workers.add(pods.submit(() -> {
                    for (int i = next.getAndIncrement(); i < VOLUMES; i = next.getAndIncrement()) {
                        live(i, failures);
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get();
            }
        } finally {
            pods.shutdownNow();
        }
        assertEquals(List.of(), failures, "calls that did not answer OK");
        assertEquals(List.of(), entries(disk.resolve("volumes")), "volumes left on the disk");
        assertEquals(List.of(), root.loopDevices(), "loop devices left attached");
    }

    /**
     * One pod's life with volume {@code i}. Three in four are block volumes: the loop device is the same, and
     * they skip the mkfs that makes most of an ext4 volume's time, which keeps the class well under a minute.
     */
    private void live(int i, List<String> failures) {
        String name = "churn-" + i;
        boolean block = i % 4 != 0;
        VolumeCapability cap = block ? Csi.block() : Csi.mount("ext4");
        Path staging = root.path().resolve("staging/" + name);
        Path target = root.path().resolve("pods/" + name + "/volume");
        String step = "CreateVolume";
        try {
            String id = driver.controller().createVolume(Csi.create(name, 16 * MIB, "image", cap)).getVolume()
                    .getVolumeId();
            step = "NodeStageVolume";
            driver.node().nodeStageVolume(Csi.stage(id, staging, cap));
            step = "NodePublishVolume";
            driver.node().nodePublishVolume(Csi.publish(id, staging, target, cap, false));
            if (!block) {
                Files.writeString(target.resolve("pod"), name);
            }
            step = "NodeUnpublishVolume";
            driver.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder().setVolumeId(id)
                    .setTargetPath(target.toString()).build());
            step = "NodeUnstageVolume";
            driver.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(id)
                    .setStagingTargetPath(staging.toString()).build());
            step = "DeleteVolume";
            driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
        } catch (StatusRuntimeException e) {
            failures.add(name + " " + step + ": " + e.getStatus());
        } catch (IOException e) {
            failures.add(name + " write into the published volume: " + e);
        }
    }

    private static List<Path> entries(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.toList();
        }
    }
}
