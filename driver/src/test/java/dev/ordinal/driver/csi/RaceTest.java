package dev.ordinal.driver.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.ListVolumesRequest;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.support.Csi;
import dev.ordinal.driver.support.InProcessDriver;
import dev.ordinal.driver.support.TestRoot;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;

/**
 * Races on the real services: calls released together by a latch on real threads, each race repeated. The
 * assertions are on the end state (volumes listed, directories on disk, mounts in the kernel's table) and on the
 * codes each call got (OK or ABORTED, the spec's "operation pending" answer), never on timing.
 */
class RaceTest {

    private static final int THREADS = 16;
    private static final long SMALL_DISK = 64 * Csi.MIB;

    private TestRoot root;
    private InProcessDriver driver;
    private ExecutorService pool;

    @BeforeEach
    void start() {
        root = TestRoot.create("race");
        driver = InProcessDriver.start(root.path(), Map.of("d1", root.dir("disks/d1"), "small",
                root.dir("disks/small")), Map.of("d1", Capacity.ofGiB(8), "small", Capacity.ofBytes(SMALL_DISK)));
        pool = Executors.newFixedThreadPool(THREADS);
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
        driver.close();
        root.close();
    }

    @RepeatedTest(5)
    void sixteenIdenticalCreatesMakeOneVolume() {
        CreateVolumeRequest request = Csi.create("same", 10 * Csi.MIB, "dir", Csi.mount(""));
        List<Outcome> outcomes = race(i -> () -> driver.controller().createVolume(request).getVolume().getVolumeId());
        Set<String> ids = outcomes.stream().filter(Outcome::ok).map(Outcome::value).collect(Collectors.toSet());
        assertAllOkOrAborted(outcomes);
        assertEquals(1, ids.size(), "every successful create returns the one volume: " + outcomes);
        String id = ids.iterator().next();
        // A retry of a call that got ABORTED returns that same volume.
        assertEquals(id, driver.controller().createVolume(request).getVolume().getVolumeId());
        assertEquals(List.of(id), listedIds());
        assertEquals(1, entries(root.path().resolve("disks/d1/volumes")).size() + entries(
                root.path().resolve("disks/small/volumes")).size(), "one directory on the disks");
        delete(id);
        assertEquals(List.of(), listedIds());
    }

    @RepeatedTest(5)
    void concurrentCreatesNeverOverCommitASmallDisk() {
        // Fill the big disk first, so that every racing create has to go to the small one.
        String big = driver.controller().createVolume(Csi.create("big", 8L * 1024 * Csi.MIB, "dir", Csi.mount("")))
                .getVolume().getVolumeId();
        assertTrue(big.contains(":d1:"), big);
        List<Outcome> outcomes = race(i -> () -> driver.controller().createVolume(Csi.create("small-" + i,
                10 * Csi.MIB, "dir", Csi.mount(""))).getVolume().getVolumeId());
        List<String> made = outcomes.stream().filter(Outcome::ok).map(Outcome::value).toList();
        assertTrue(made.stream().allMatch(id -> id.contains(":small:")), made.toString());
        assertTrue(made.size() * 10 * Csi.MIB <= SMALL_DISK, made.size() + " volumes of 10 MiB on a 64 MiB disk");
        assertTrue(made.size() >= 1, "at least one create fits: " + outcomes);
        for (Outcome o : outcomes) {
            assertTrue(o.ok() || o.code() == Status.Code.RESOURCE_EXHAUSTED || o.code() == Status.Code.ABORTED,
                    "refused as RESOURCE_EXHAUSTED or ABORTED: " + o);
        }
        assertEquals(made.size(), entries(root.path().resolve("disks/small/volumes")).size());
        made.forEach(this::delete);
        delete(big);
        assertEquals(List.of(), listedIds());
    }

    @RepeatedTest(5)
    void publishAndUnpublishRacingOnOneTarget() {
        String id = driver.controller().createVolume(Csi.create("pub", 10 * Csi.MIB, "dir", Csi.mount("")))
                .getVolume().getVolumeId();
        Path staging = root.path().resolve("staging");
        Path target = root.path().resolve("target");
        driver.node().nodeStageVolume(Csi.stage(id, staging, Csi.mount("")));
        List<Outcome> outcomes = race(i -> () -> {
            if (i % 2 == 0) {
                driver.node().nodePublishVolume(Csi.publish(id, staging, target, Csi.mount(""), false));
            } else {
                driver.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder().setVolumeId(id)
                        .setTargetPath(target.toString()).build());
            }
            return "";
        });
        assertAllOkOrAborted(outcomes);
        // Whatever the interleaving, the target is mounted at most once, and only with the volume.
        long stacked = MountTable.read().mountsAt(target);
        assertTrue(stacked <= 1, stacked + " mounts stacked at the target");
        retry(() -> driver.node().nodePublishVolume(Csi.publish(id, staging, target, Csi.mount(""), false)));
        assertEquals(1, MountTable.read().mountsAt(target), "published once");
        retry(() -> driver.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder().setVolumeId(id)
                .setTargetPath(target.toString()).build()));
        assertEquals(0, MountTable.read().mountsAt(target));
        assertFalse(Files.exists(target), "unpublish removes the target");
        driver.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(id)
                .setStagingTargetPath(staging.toString()).build());
        delete(id);
    }

    @RepeatedTest(5)
    void deleteRacingWithStageAndPublishNeverDeletesAMountedVolume() {
        String id = driver.controller().createVolume(Csi.create("doomed", 10 * Csi.MIB, "dir", Csi.mount("")))
                .getVolume().getVolumeId();
        Path volumeDir = root.path().resolve("disks/d1/volumes").resolve(id.substring(id.lastIndexOf(':') + 1));
        Path staging = root.path().resolve("staging");
        Path target = root.path().resolve("target");
        List<Outcome> outcomes = race(i -> () -> {
            switch (i % 4) {
                case 0 -> driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
                case 1 -> driver.node().nodeStageVolume(Csi.stage(id, staging, Csi.mount("")));
                default -> driver.node().nodePublishVolume(Csi.publish(id, staging, target, Csi.mount(""), false));
            }
            return "";
        });
        for (Outcome o : outcomes) {
            // OK; ABORTED (another call held the volume); FAILED_PRECONDITION (delete of a staged volume, or
            // publish before stage, or stage after the data went); NOT_FOUND (the volume was deleted already).
            assertTrue(o.ok() || Set.of(Status.Code.ABORTED, Status.Code.FAILED_PRECONDITION, Status.Code.NOT_FOUND)
                    .contains(o.code()), o.toString());
        }
        boolean listed = listedIds().contains(id);
        boolean staged = MountTable.read().isMountPoint(staging);
        boolean published = MountTable.read().isMountPoint(target);
        if (!listed) {
            // Deleted: nothing of it is left mounted, and its directory is gone.
            assertFalse(staged || published, "a deleted volume is still mounted (staged=" + staged + ", published="
                    + published + ")");
            assertFalse(Files.exists(volumeDir), "the deleted volume's directory is still there");
        } else {
            assertTrue(Files.isDirectory(volumeDir.resolve("data")), "a listed volume has its data");
        }
        // Clean up through the RPCs, which must all succeed now that nothing races.
        if (listed) {
            driver.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder().setVolumeId(id)
                    .setTargetPath(target.toString()).build());
            driver.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(id)
                    .setStagingTargetPath(staging.toString()).build());
        }
        delete(id);
        assertEquals(List.of(), listedIds());
    }

    // Helpers.

    record Outcome(int caller, Status.Code code, String value) {
        boolean ok() {
            return code == Status.Code.OK;
        }
    }

    /** Runs {@code THREADS} calls released at once; each ends within 60 s or the test fails. */
    private List<Outcome> race(IntFunction<Callable<String>> calls) {
        CountDownLatch ready = new CountDownLatch(THREADS);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Outcome>> futures = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            int caller = i;
            Callable<String> call = calls.apply(i);
            futures.add(pool.submit(() -> {
                ready.countDown();
                go.await();
                try {
                    return new Outcome(caller, Status.Code.OK, call.call());
                } catch (StatusRuntimeException e) {
                    return new Outcome(caller, e.getStatus().getCode(), e.getStatus().getDescription());
                }
            }));
        }
        try {
            assertTrue(ready.await(10, TimeUnit.SECONDS), "threads did not start");
            go.countDown();
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<Outcome> f : futures) {
                outcomes.add(f.get(60, TimeUnit.SECONDS));
            }
            return outcomes;
        } catch (Exception e) {
            throw new AssertionError("a racing call did not finish", e);
        }
    }

    private static void assertAllOkOrAborted(List<Outcome> outcomes) {
        for (Outcome o : outcomes) {
            assertTrue(o.ok() || o.code() == Status.Code.ABORTED, "OK or ABORTED only: " + o);
        }
    }

    /** A call as the CO makes it: retried while ABORTED (another operation on the volume is in flight). */
    private static void retry(Runnable call) {
        for (int attempt = 0; ; attempt++) {
            try {
                call.run();
                return;
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.ABORTED || attempt > 100) {
                    throw e;
                }
                Thread.onSpinWait();
            }
        }
    }

    private void delete(String id) {
        retry(() -> driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build()));
    }

    private List<String> listedIds() {
        return driver.controller().listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesList().stream()
                .map(e -> e.getVolume().getVolumeId()).toList();
    }

    private static List<Path> entries(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
