package dev.ordinal.driver.crash;

import static dev.ordinal.driver.support.Csi.MIB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.csi.v1.CapacityRange;
import dev.ordinal.csi.v1.ControllerExpandVolumeRequest;
import dev.ordinal.csi.v1.ControllerExpandVolumeResponse;
import dev.ordinal.csi.v1.CreateSnapshotRequest;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.DeleteSnapshotRequest;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.ListSnapshotsRequest;
import dev.ordinal.csi.v1.ListSnapshotsResponse;
import dev.ordinal.csi.v1.ListVolumesRequest;
import dev.ordinal.csi.v1.ListVolumesResponse;
import dev.ordinal.csi.v1.NodeExpandVolumeRequest;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.Snapshot;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.csi.v1.VolumeCapability;
import dev.ordinal.csi.v1.VolumeContentSource;
import dev.ordinal.driver.host.Filesystems;
import dev.ordinal.driver.host.LoopDevices;
import dev.ordinal.driver.host.Trees;
import dev.ordinal.driver.support.Csi;
import dev.ordinal.driver.support.TestRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The crash harness: the driver runs as a process of its own and is killed with SIGKILL at random points
 * (seeded), hundreds of times in the full run, while a CO drives volumes through their lives (create, possibly
 * from a snapshot; stage; publish; acknowledged writes; snapshot; expansion; unpublish; unstage; delete). Every
 * interrupted call is retried against the restarted driver, as kubelet and the sidecars do. At the end it proves:
 * every call answered right, ListVolumes and ListSnapshots (and the disk itself) hold exactly what should exist,
 * nothing half-made or half-deleted is left on the disk, every acknowledged write reads back byte for byte after a
 * fresh stage, and no mount or loop device is left (TestRoot).
 *
 * <p>CI runs a small size; the full run is {@code make crash-test KILLS=200}, replayed with
 * {@code make crash-test KILLS=200 SEED=<printed seed>} (the seed fixes the workload and which calls get a kill after what
 * fraction of their usual duration; where exactly a kill lands still varies with timing).
 */
class CrashHarnessTest {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(CrashHarnessTest.class);
    private static final long DISK_MIB = 4096;

    /** One volume as the CO and its pod know it. */
    private static final class Vol {
        final String name;
        final String layout;
        final String id;
        long capacity;
        final Path staging;
        final Path target;
        /** Acknowledged writes: every file the pod wrote and fsynced, with its content. */
        final Map<String, byte[]> files = new TreeMap<>();

        Vol(String name, String layout, String id, long capacity, Path staging, Path target) {
            this.name = name;
            this.layout = layout;
            this.id = id;
            this.capacity = capacity;
            this.staging = staging;
            this.target = target;
        }

        boolean image() {
            return layout.equals("image");
        }
    }

    /** A snapshot as the CO knows it, with the files its source held when it was taken. */
    private record Snap(String name, String id, String layout, long size, Map<String, byte[]> files) {
    }

    private CrashingDriver driver;
    private Random workload;
    private TestRoot root;
    private final Map<String, Vol> volumes = new LinkedHashMap<>();
    private final Map<String, Snap> snapshots = new LinkedHashMap<>();
    private int calls;

    @Test
    void everyCallAnswersRightAndNothingIsLostOrLeakedAcrossKills() throws IOException {
        int killTarget = Integer.getInteger("ordinal.crash.kills", 20);
        long seed = Long.getLong("ordinal.crash.seed", System.nanoTime());
        // A command that works from a fresh checkout as printed: make finds the JDK and builds the modules first.
        String replay = "replay: make crash-test KILLS=" + killTarget + " SEED=" + seed;
        System.out.println("crash harness: seed=" + seed + " kills=" + killTarget + "\n" + replay);
        long begin = System.nanoTime();
        workload = new Random(seed);
        // TestRoot closes last (proving no mount or loop device is left), without hiding an earlier failure.
        try (TestRoot testRoot = TestRoot.create("crash")) {
            root = testRoot;
            Path disk = root.dir("disk");
            Path logs = Path.of("target", "crash-logs", Long.toString(seed)).toAbsolutePath();
            Trees.deleteRecursively(logs);
            driver = new CrashingDriver(root.path(), disk, DISK_MIB, logs, seed, killTarget);
            try {
                driver.start();
                int scenario = 0;
                int cap = Math.max(40, killTarget * 2);
                while ((driver.budgetLeft() || !driver.everyRequiredCallInterrupted()) && scenario < cap) {
                    lifeOfOneVolume(scenario++);
                }
                System.out.printf("crash harness: %d scenarios, %d calls, %d kills (start-up ~%d ms); where they "
                        + "landed: %s%n", scenario, calls, driver.kills(), driver.usualStartMillis(), driver.landed());
                assertTrue(driver.kills() >= killTarget, "only " + driver.kills() + " kills; " + replay);
                assertTrue(driver.everyRequiredCallInterrupted(), "no kill landed during one of "
                        + CrashingDriver.MUST_INTERRUPT + ": " + driver.landed() + "; " + replay);
                driver.restart();
                proveNothingLeakedOrLost(disk);
                cleanUpThroughTheDriver(disk);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n" + replay + "\nkills landed: " + driver.landed(), e);
            } finally {
                driver.close();
            }
        }
        System.out.printf("crash harness: passed in %.1f s (seed %d)%n", (System.nanoTime() - begin) / 1e9, seed);
    }

    /** One volume through its life, each step retried across kills until it answers. */
    private void lifeOfOneVolume(int n) {
        String layout = workload.nextInt(10) < 7 ? "image" : "dir";
        List<Snap> restorable = snapshots.values().stream().filter(s -> s.layout().equals(layout)).toList();
        Snap from = !restorable.isEmpty() && workload.nextInt(10) < 3
                ? restorable.get(workload.nextInt(restorable.size())) : null;
        long size = from != null ? from.size() + workload.nextInt(2) * 8 * MIB : (16 + 8L * workload.nextInt(3)) * MIB;
        String name = "pvc-crash-" + n;
        Vol vol = create(name, layout, size, from);
        if (driver.budgetLeft() && workload.nextInt(10) == 0) {
            // The pod is deleted while its volume is being staged: kubelet stops retrying NodeStageVolume and
            // unstages what may be half set up (a loop device without a mount); then the claim goes.
            calls++;
            driver.interruptOnce("NodeStageVolume", d -> d.node().nodeStageVolume(
                    Csi.stage(vol.id, vol.staging, capability(vol.layout))));
            unstage(vol);
            deleteVolume(vol);
            return;
        }
        stage(vol);
        publish(vol);
        if (from != null) {
            assertSameFiles(from.files(), Pod.files(vol.target), "volume " + name + " restored from " + from.name());
            vol.files.putAll(from.files());
        }
        write(vol, "a-" + n);
        if (workload.nextInt(10) < 6) {
            Snap snap = snapshot(vol, "snap-crash-" + n);
            // Written after the snapshot: in the volume, never in the snapshot (checked by restores).
            write(vol, "b-" + n);
            snapshots.put(snap.name(), snap);
        }
        if (vol.image() && workload.nextInt(10) < 5) {
            expand(vol, vol.capacity + 8 * MIB);
        }
        if (!snapshots.isEmpty() && workload.nextInt(10) < 3) {
            List<Snap> all = new ArrayList<>(snapshots.values());
            deleteSnapshot(all.get(workload.nextInt(all.size())));
        }
        unpublish(vol);
        unstage(vol);
        if (workload.nextInt(10) < 5) {
            deleteVolume(vol);
        }
    }

    private Vol create(String name, String layout, long size, Snap from) {
        CreateVolumeRequest.Builder request = Csi.create(name, size, layout, capability(layout)).toBuilder();
        if (from != null) {
            request.setVolumeContentSource(VolumeContentSource.newBuilder().setSnapshot(
                    VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId(from.id())));
        }
        Volume volume = acked("CreateVolume", d -> d.controller().createVolume(request.build()).getVolume(),
                v -> v.getVolumeId() + " " + v.getCapacityBytes() + " " + v.getContentSource());
        assertEquals(size, volume.getCapacityBytes(), "CreateVolume " + name + " capacity");
        if (from != null) {
            assertEquals(from.id(), volume.getContentSource().getSnapshot().getSnapshotId());
        }
        Vol vol = new Vol(name, layout, volume.getVolumeId(), size, root.path().resolve("staging").resolve(name),
                root.path().resolve("pods").resolve(name).resolve("mount"));
        volumes.put(name, vol);
        return vol;
    }

    private void stage(Vol vol) {
        acked("NodeStageVolume", d -> d.node().nodeStageVolume(Csi.stage(vol.id, vol.staging, capability(vol.layout))),
                r -> "ok");
    }

    private void publish(Vol vol) {
        acked("NodePublishVolume", d -> d.node().nodePublishVolume(Csi.publish(vol.id, vol.staging, vol.target,
                capability(vol.layout), false)), r -> "ok");
    }

    private void write(Vol vol, String file) {
        byte[] content = new byte[16 * 1024 + workload.nextInt(64 * 1024)];
        workload.nextBytes(content);
        Pod.writeAndSync(vol.target, file, content);
        vol.files.put(file, content);
    }

    private Snap snapshot(Vol vol, String name) {
        Snapshot snapshot = acked("CreateSnapshot", d -> d.controller().createSnapshot(CreateSnapshotRequest
                .newBuilder().setSourceVolumeId(vol.id).setName(name).build()).getSnapshot(),
                s -> s.getSnapshotId() + " " + s.getSizeBytes() + " " + s.getSourceVolumeId() + " " + s.getReadyToUse());
        assertEquals(vol.id, snapshot.getSourceVolumeId(), "snapshot " + name + " source");
        assertEquals(vol.capacity, snapshot.getSizeBytes(), "snapshot " + name + " size");
        assertTrue(snapshot.getReadyToUse(), "snapshot " + name + " ready");
        return new Snap(name, snapshot.getSnapshotId(), vol.layout, snapshot.getSizeBytes(), new TreeMap<>(vol.files));
    }

    private void expand(Vol vol, long bytes) {
        ControllerExpandVolumeResponse grown = acked("ControllerExpandVolume", d -> d.controller()
                .controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder().setVolumeId(vol.id)
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(bytes))
                        .setVolumeCapability(capability(vol.layout)).build()),
                r -> r.getCapacityBytes() + " " + r.getNodeExpansionRequired());
        assertEquals(bytes, grown.getCapacityBytes(), "ControllerExpandVolume " + vol.name);
        vol.capacity = bytes;
        if (grown.getNodeExpansionRequired()) {
            long nodeBytes = acked("NodeExpandVolume", d -> d.node().nodeExpandVolume(NodeExpandVolumeRequest
                    .newBuilder().setVolumeId(vol.id).setVolumePath(vol.target.toString())
                    .setStagingTargetPath(vol.staging.toString())
                    .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(bytes))
                    .setVolumeCapability(capability(vol.layout)).build()).getCapacityBytes(), String::valueOf);
            assertEquals(bytes, nodeBytes, "NodeExpandVolume " + vol.name);
        }
    }

    private void unpublish(Vol vol) {
        acked("NodeUnpublishVolume", d -> d.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                .setVolumeId(vol.id).setTargetPath(vol.target.toString()).build()), r -> "ok");
    }

    private void unstage(Vol vol) {
        acked("NodeUnstageVolume", d -> d.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                .setVolumeId(vol.id).setStagingTargetPath(vol.staging.toString()).build()), r -> "ok");
    }

    private void deleteVolume(Vol vol) {
        acked("DeleteVolume", d -> d.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(vol.id)
                .build()), r -> "ok");
        volumes.remove(vol.name);
    }

    private void deleteSnapshot(Snap snap) {
        acked("DeleteSnapshot", d -> d.controller().deleteSnapshot(DeleteSnapshotRequest.newBuilder()
                .setSnapshotId(snap.id()).build()), r -> "ok");
        snapshots.remove(snap.name());
    }

    /**
     * One call until it answers OK; when the driver was killed right after answering (the CO may have lost the
     * answer), the call is made again and must answer the same ({@code key} of both answers equal).
     */
    private <T> T acked(String rpc, Function<CrashingDriver, T> call, Function<T, String> key) {
        calls++;
        CrashingDriver.Outcome<T> first = driver.call(rpc, call);
        T answer = first.ok(rpc);
        if (first.killedAfterAnswer()) {
            calls++;
            T again = driver.call(rpc, call).ok(rpc + " retried after its answer was lost");
            assertEquals(key.apply(answer), key.apply(again), rpc + " answered differently when retried");
        }
        return answer;
    }

    /** After a clean restart: the driver and the disk hold exactly what the CO expects, and every write is there. */
    private void proveNothingLeakedOrLost(Path disk) throws IOException {
        Map<String, Long> listedVolumes = new TreeMap<>();
        String token = "";
        do {
            String after = token;
            ListVolumesResponse page = driver.call("ListVolumes", d -> d.controller().listVolumes(
                    ListVolumesRequest.newBuilder().setMaxEntries(7).setStartingToken(after).build()))
                    .ok("ListVolumes");
            page.getEntriesList().forEach(e -> listedVolumes.put(e.getVolume().getVolumeId(),
                    e.getVolume().getCapacityBytes()));
            token = page.getNextToken();
        } while (!token.isEmpty());
        assertEquals(volumes.values().stream().collect(Collectors.toMap(v -> v.id, v -> v.capacity, (a, b) -> a,
                TreeMap::new)), listedVolumes, "ListVolumes after the last restart");

        Set<String> listedSnapshots = new TreeSet<>();
        token = "";
        do {
            String after = token;
            ListSnapshotsResponse page = driver.call("ListSnapshots", d -> d.controller().listSnapshots(
                    ListSnapshotsRequest.newBuilder().setMaxEntries(7).setStartingToken(after).build()))
                    .ok("ListSnapshots");
            page.getEntriesList().forEach(e -> listedSnapshots.add(e.getSnapshot().getSnapshotId()));
            token = page.getNextToken();
        } while (!token.isEmpty());
        assertEquals(snapshots.values().stream().map(Snap::id).collect(Collectors.toCollection(TreeSet::new)),
                listedSnapshots, "ListSnapshots after the last restart");

        assertEquals(volumes.values().stream().map(v -> lastPart(v.id)).collect(Collectors.toCollection(TreeSet::new)),
                entries(disk.resolve("volumes")), "volume directories on the disk");
        assertEquals(snapshots.values().stream().map(s -> lastPart(s.id())).collect(Collectors.toCollection(
                TreeSet::new)), entries(disk.resolve("snapshots")), "snapshot directories on the disk");
        assertEquals(List.of(), leftovers(disk), "half-made or half-deleted files on the disk");

        for (Vol vol : volumes.values()) {
            stage(vol);
            publish(vol);
            assertSameFiles(vol.files, Pod.files(vol.target), "volume " + vol.name + " after the last restart");
            if (vol.image()) {
                // Expanded (perhaps with kills in both halves): the filesystem fills the volume's new size.
                Path device = LoopDevices.backing(disk.resolve("volumes").resolve(lastPart(vol.id)).resolve("image"))
                        .getFirst();
                Filesystems.Ext4Geometry fs = Filesystems.ext4Geometry(device);
                assertFalse(fs.growsOnto(vol.capacity), "the filesystem of " + vol.name + " holds " + fs.bytes()
                        + " bytes, less than its " + vol.capacity);
            }
            unpublish(vol);
            unstage(vol);
        }
        System.out.printf("crash harness: %d volumes (%d acknowledged files) and %d snapshots all there%n",
                volumes.size(), volumes.values().stream().mapToInt(v -> v.files.size()).sum(), snapshots.size());
    }

    private void cleanUpThroughTheDriver(Path disk) throws IOException {
        for (Vol vol : List.copyOf(volumes.values())) {
            deleteVolume(vol);
        }
        for (Snap snap : List.copyOf(snapshots.values())) {
            deleteSnapshot(snap);
        }
        assertEquals(Set.of(), entries(disk.resolve("volumes")), "volumes left after deleting them all");
        assertEquals(Set.of(), entries(disk.resolve("snapshots")), "snapshots left after deleting them all");
    }

    private static String lastPart(String id) {
        return id.substring(id.lastIndexOf(':') + 1);
    }

    private static Set<String> entries(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** Temporary files, partial copies and interrupted deletions: none may survive a restart. */
    private static List<Path> leftovers(Path disk) throws IOException {
        try (Stream<Path> walk = Files.walk(disk)) {
            return walk.filter(p -> {
                String name = p.getFileName().toString();
                return name.endsWith(".tmp") || name.contains(".partial") || name.startsWith(".deleting-");
            }).toList();
        }
    }

    private static void assertSameFiles(Map<String, byte[]> expected, Map<String, byte[]> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet(), what + ": files");
        Map<String, Integer> differing = new HashMap<>();
        expected.forEach((name, bytes) -> {
            if (!java.util.Arrays.equals(bytes, actual.get(name))) {
                differing.put(name, actual.get(name).length);
            }
        });
        assertEquals(Map.of(), differing, what + ": files whose content differs (name -> length read)");
        expected.forEach((name, bytes) -> assertArrayEquals(bytes, actual.get(name), what + ": " + name));
    }

    private static VolumeCapability capability(String layout) {
        return Csi.mount(layout.equals("image") ? "ext4" : "");
    }
}
