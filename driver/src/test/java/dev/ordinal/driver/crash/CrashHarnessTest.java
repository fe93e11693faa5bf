package dev.ordinal.driver.crash;

import static dev.ordinal.driver.support.Csi.MIB;
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
import dev.ordinal.csi.v1.GetCapacityRequest;
import dev.ordinal.csi.v1.ListSnapshotsRequest;
import dev.ordinal.csi.v1.ListSnapshotsResponse;
import dev.ordinal.csi.v1.ListVolumesRequest;
import dev.ordinal.csi.v1.ListVolumesResponse;
import dev.ordinal.csi.v1.NodeExpandVolumeRequest;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.Snapshot;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.csi.v1.VolumeContentSource;
import dev.ordinal.driver.host.Btrfs;
import dev.ordinal.driver.host.Command;
import dev.ordinal.driver.host.Filesystems;
import dev.ordinal.driver.host.LoopDevices;
import dev.ordinal.driver.host.Trees;
import dev.ordinal.driver.support.Csi;
import dev.ordinal.driver.support.LoopDisk;
import dev.ordinal.driver.support.TestRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The crash harness, once per layout and access type ({@link CrashLayout}: dir, ext4 image, xfs image, raw block
 * image, btrfs subvolume, NFS): the driver runs as a process of its own and is killed with SIGKILL at random points
 * (seeded), hundreds of times in the long run, while a CO drives volumes through their lives (create, possibly
 * restored from a snapshot or cloned from a volume; stage; publish; acknowledged writes; snapshot; expansion online
 * and offline; unpublish; unstage; delete). Every interrupted call is retried against the restarted driver, as
 * kubelet and the sidecars do. At the end it proves: every call answered right (a retry after a lost answer gives
 * the same answer), ListVolumes and ListSnapshots (and the disk itself) hold exactly what should exist, nothing
 * half-made or half-deleted is left, no mount, loop device, subvolume or qgroup is left beyond what the driver's
 * records say exists, capacity accounting matches the volumes and snapshots that exist (and returns to the whole disk
 * once they are deleted), every acknowledged write reads back byte for byte after a fresh stage, and every volume
 * has the size it was last grown to (TestRoot then proves no mount or loop device outlives the case).
 *
 * <p>CI runs a few kills per layout; the long run is {@code make crash-test KILLS=200}, one layout with
 * {@code LAYOUT=<label>}, replayed with {@code SEED=<printed seed>} (the seed fixes the workload and which calls get a
 * kill after what fraction of their usual duration; where exactly a kill lands still varies with timing).
 */
class CrashHarnessTest {

    /** The names kills are counted under for CreateVolume with and without a content source. */
    static final String CREATE = "CreateVolume";
    static final String RESTORE = "CreateVolume from a snapshot";
    static final String CLONE = "CreateVolume from a volume";

    /** One seed for every layout of a run, so that one replay command repeats them all. */
    private static final long SEED = Long.getLong("ordinal.crash.seed", System.nanoTime());
    /** Even a short run makes this many volumes, so that snapshots, restores and clones happen between its kills. */
    private static final int MIN_SCENARIOS = 6;
    private static final long MIB_CAPACITY_PLAIN = 4096;
    /** The btrfs disk: a sparse file of 2 GiB, of which the driver is told to use 1 GiB. */
    private static final long BTRFS_FILE_MIB = 2048;
    private static final long MIB_CAPACITY_BTRFS = 1024;

    /** One volume as the CO and its pod know it. */
    private static final class Vol {
        final String name;
        final String id;
        long capacity;
        final Path staging;
        final Path target;
        /** An offline ControllerExpandVolume whose NodeExpandVolume is still to come (after the next publish). */
        boolean nodeExpansionPending;
        /** Acknowledged writes: every file (or block slot) the pod wrote and fsynced, with its content. */
        final Map<String, byte[]> files = new TreeMap<>();

        Vol(String name, String id, long capacity, Path staging, Path target) {
            this.name = name;
            this.id = id;
            this.capacity = capacity;
            this.staging = staging;
            this.target = target;
        }
    }

    /** A snapshot as the CO knows it, with the files its source held when it was taken. */
    private record Snap(String name, String id, long size, Map<String, byte[]> files) {
    }

    private CrashLayout layout;
    private CrashingDriver driver;
    private Random workload;
    private TestRoot root;
    /** Where the driver keeps local volumes (its disk d1) and, for NFS, the export. */
    private Path disk;
    private Path export;
    private long capacityMiB;
    private final Map<String, Vol> volumes = new LinkedHashMap<>();
    private final Map<String, Snap> snapshots = new LinkedHashMap<>();
    private int calls;

    static List<CrashLayout> layouts() {
        return CrashLayout.selected();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layouts")
    void everyCallAnswersRightAndNothingIsLostOrLeakedAcrossKills(CrashLayout layout) throws IOException {
        this.layout = layout;
        int killTarget = Integer.getInteger("ordinal.crash.kills", 3);
        long seed = SEED;
        // A command that works from a fresh checkout as printed: make finds the JDK and builds the modules first.
        String replay = "replay: make crash-test LAYOUT=" + layout.label + " KILLS=" + killTarget + " SEED=" + seed;
        System.out.println("crash harness [" + layout + "]: seed=" + seed + " kills=" + killTarget + "\n" + replay);
        long begin = System.nanoTime();
        workload = new Random(seed);
        // TestRoot closes last (proving no mount or loop device is left), without hiding an earlier failure.
        try (TestRoot testRoot = TestRoot.create("crash-" + layout.label)) {
            root = testRoot;
            LoopDisk btrfs = null;
            switch (layout.disk) {
                case PLAIN, NFS_EXPORT -> {
                    disk = root.dir("disk");
                    capacityMiB = MIB_CAPACITY_PLAIN;
                }
                case BTRFS -> {
                    btrfs = LoopDisk.make(root, "btrfs", BTRFS_FILE_MIB * MIB, "mkfs.btrfs", "-q");
                    disk = btrfs.mountPoint();
                    capacityMiB = MIB_CAPACITY_BTRFS;
                }
            }
            export = layout.disk == CrashLayout.Disk.NFS_EXPORT ? root.dir("export") : null;
            Path logs = Path.of("target", "crash-logs", layout.label + "-" + seed).toAbsolutePath();
            Trees.deleteRecursively(logs);
            driver = new CrashingDriver(root.path(), disk, capacityMiB, export, layout.mustInterrupt(), logs, seed,
                    killTarget);
            try {
                driver.start();
                int scenario = 0;
                int cap = Math.max(40, killTarget * 2);
                // A long run goes on until a kill has landed in each call that must be interrupted; a short one
                // (CI) spends its few kills on those calls first, and different seeds cover the rest over time.
                boolean coverAll = killTarget >= CrashingDriver.COVER_ALL_FROM;
                while ((scenario < MIN_SCENARIOS || driver.budgetLeft()
                        || coverAll && !driver.everyRequiredCallInterrupted()) && scenario < cap) {
                    lifeOfOneVolume(scenario++);
                }
                System.out.printf("crash harness [%s]: %d scenarios, %d calls, %d kills (start-up ~%d ms); where "
                        + "they landed: %s%n", layout, scenario, calls, driver.kills(), driver.usualStartMillis(),
                        driver.landed());
                assertTrue(driver.kills() >= killTarget, "only " + driver.kills() + " kills; " + replay);
                assertTrue(!coverAll || driver.everyRequiredCallInterrupted(), "no kill landed during one of "
                        + driver.mustInterrupt() + ": " + driver.landed() + "; " + replay);
                driver.restart();
                proveNothingLeakedOrLost(btrfs);
                cleanUpThroughTheDriver();
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("[" + layout + "] " + e.getMessage() + "\n" + replay + "\nkills landed: "
                        + driver.landed(), e);
            } finally {
                driver.close();
                if (btrfs != null) {
                    btrfs.close();
                }
            }
        }
        System.out.printf("crash harness [%s]: passed in %.1f s (seed %d)%n", layout,
                (System.nanoTime() - begin) / 1e9, seed);
    }

    /** One volume through its life, each step retried across kills until it answers. */
    private void lifeOfOneVolume(int n) {
        makeRoom();
        Snap fromSnapshot = null;
        Vol fromVolume = null;
        int origin = workload.nextInt(10);
        if (!snapshots.isEmpty() && origin < 3) {
            List<Snap> all = new ArrayList<>(snapshots.values());
            fromSnapshot = all.get(workload.nextInt(all.size()));
        } else if (!volumes.isEmpty() && origin < 5) {
            List<Vol> all = new ArrayList<>(volumes.values());
            fromVolume = all.get(workload.nextInt(all.size()));
        }
        long sourceSize = fromSnapshot != null ? fromSnapshot.size() : fromVolume != null ? fromVolume.capacity : 0;
        long size = sourceSize > 0 ? sourceSize + workload.nextInt(2) * 8 * MIB
                : (layout.smallestMiB + 8L * workload.nextInt(3)) * MIB;
        String name = "pvc-crash-" + n;
        Map<String, byte[]> restored = fromSnapshot != null ? fromSnapshot.files()
                : fromVolume != null ? new TreeMap<>(fromVolume.files) : Map.of();
        Vol vol = create(name, size, fromSnapshot, fromVolume);
        if (driver.budgetLeft() && workload.nextInt(10) == 0) {
            // The pod is deleted while its volume is being staged: kubelet stops retrying NodeStageVolume and
            // unstages what may be half set up (a loop device without a mount); then the claim goes.
            calls++;
            driver.interruptOnce("NodeStageVolume", d -> d.node().nodeStageVolume(
                    Csi.stage(vol.id, vol.staging, layout.capability)));
            unstage(vol);
            deleteVolume(vol);
            return;
        }
        stage(vol);
        publish(vol);
        assertSameFiles(restored, read(vol), "volume " + name + " made from "
                + (fromSnapshot != null ? fromSnapshot.name() : fromVolume != null ? fromVolume.name : "nothing"));
        vol.files.putAll(restored);
        write(vol, "a-" + n);
        if (workload.nextInt(10) < 6) {
            Snap snap = snapshot(vol, "snap-crash-" + n);
            // Written after the snapshot: in the volume, never in the snapshot (checked by restores).
            write(vol, "b-" + n);
            snapshots.put(snap.name(), snap);
        }
        if (workload.nextInt(10) < 4) {
            expand(vol, vol.capacity + 8 * MIB, true);
        }
        if (!snapshots.isEmpty() && workload.nextInt(10) < 2) {
            List<Snap> all = new ArrayList<>(snapshots.values());
            deleteSnapshot(all.get(workload.nextInt(all.size())));
        }
        unpublish(vol);
        unstage(vol);
        if (workload.nextInt(10) < 2) {
            // Offline: the claim grows while no pod uses it; kubelet grows the filesystem at the next publish.
            expand(vol, vol.capacity + 8 * MIB, false);
        }
        if (workload.nextInt(10) < 3) {
            deleteVolume(vol);
        }
    }

    /** The oldest volumes and snapshots go first when more are alive than the layout affords. */
    private void makeRoom() {
        while (volumes.size() >= layout.alive) {
            deleteVolume(volumes.values().iterator().next());
        }
        while (snapshots.size() >= layout.alive) {
            deleteSnapshot(snapshots.values().iterator().next());
        }
    }

    private Vol create(String name, long size, Snap fromSnapshot, Vol fromVolume) {
        CreateVolumeRequest.Builder request = CreateVolumeRequest.newBuilder().setName(name)
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(size))
                .addVolumeCapabilities(layout.capability)
                .putAllParameters(layout.parameters(name));
        String rpc = CREATE;
        if (fromSnapshot != null) {
            rpc = RESTORE;
            request.setVolumeContentSource(VolumeContentSource.newBuilder().setSnapshot(
                    VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId(fromSnapshot.id())));
        } else if (fromVolume != null) {
            rpc = CLONE;
            request.setVolumeContentSource(VolumeContentSource.newBuilder().setVolume(
                    VolumeContentSource.VolumeSource.newBuilder().setVolumeId(fromVolume.id)));
        }
        Volume volume = acked(rpc, d -> d.controller().createVolume(request.build()).getVolume(),
                v -> v.getVolumeId() + " " + v.getCapacityBytes() + " " + v.getContentSource());
        assertEquals(size, volume.getCapacityBytes(), rpc + " " + name + " capacity");
        if (fromSnapshot != null) {
            assertEquals(fromSnapshot.id(), volume.getContentSource().getSnapshot().getSnapshotId());
        } else if (fromVolume != null) {
            assertEquals(fromVolume.id, volume.getContentSource().getVolume().getVolumeId());
        }
        Path pod = root.path().resolve("pods").resolve(name);
        Vol vol = new Vol(name, volume.getVolumeId(), size, root.path().resolve("staging").resolve(name),
                layout.block() ? pod.resolve("dev") : pod.resolve("mount"));
        volumes.put(name, vol);
        return vol;
    }

    private void stage(Vol vol) {
        acked("NodeStageVolume", d -> d.node().nodeStageVolume(Csi.stage(vol.id, vol.staging, layout.capability)),
                r -> "ok");
    }

    private void publish(Vol vol) {
        acked("NodePublishVolume", d -> d.node().nodePublishVolume(Csi.publish(vol.id, vol.staging, vol.target,
                layout.capability, false)), r -> "ok");
        if (vol.nodeExpansionPending) {
            nodeExpand(vol);
            vol.nodeExpansionPending = false;
        }
    }

    private void write(Vol vol, String file) {
        byte[] content = new byte[16 * 1024 + workload.nextInt(64 * 1024)];
        workload.nextBytes(content);
        if (layout.block()) {
            String slot = Pod.slotName(vol.files.size());
            Pod.writeSlotAndSync(vol.target, vol.files.size(), content);
            vol.files.put(slot, content);
            return;
        }
        Pod.writeAndSync(vol.target, file, content);
        vol.files.put(file, content);
    }

    private Map<String, byte[]> read(Vol vol) {
        return layout.block() ? Pod.slots(vol.target) : Pod.files(vol.target);
    }

    private Snap snapshot(Vol vol, String name) {
        Snapshot snapshot = acked("CreateSnapshot", d -> d.controller().createSnapshot(CreateSnapshotRequest
                .newBuilder().setSourceVolumeId(vol.id).setName(name).build()).getSnapshot(),
                s -> s.getSnapshotId() + " " + s.getSizeBytes() + " " + s.getSourceVolumeId() + " " + s.getReadyToUse());
        assertEquals(vol.id, snapshot.getSourceVolumeId(), "snapshot " + name + " source");
        assertEquals(vol.capacity, snapshot.getSizeBytes(), "snapshot " + name + " size");
        assertTrue(snapshot.getReadyToUse(), "snapshot " + name + " ready");
        return new Snap(name, snapshot.getSnapshotId(), snapshot.getSizeBytes(), new TreeMap<>(vol.files));
    }

    /** ControllerExpandVolume, then (when published and the layout needs it) NodeExpandVolume, as kubelet does. */
    private void expand(Vol vol, long bytes, boolean published) {
        ControllerExpandVolumeResponse grown = acked("ControllerExpandVolume", d -> d.controller()
                .controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder().setVolumeId(vol.id)
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(bytes))
                        .setVolumeCapability(layout.capability).build()),
                r -> r.getCapacityBytes() + " " + r.getNodeExpansionRequired());
        assertEquals(bytes, grown.getCapacityBytes(), "ControllerExpandVolume " + vol.name);
        assertEquals(layout.nodeExpands, grown.getNodeExpansionRequired(), "node expansion of " + vol.name);
        vol.capacity = bytes;
        if (grown.getNodeExpansionRequired()) {
            if (published) {
                nodeExpand(vol);
            } else {
                vol.nodeExpansionPending = true;
            }
        }
    }

    private void nodeExpand(Vol vol) {
        long nodeBytes = acked("NodeExpandVolume", d -> d.node().nodeExpandVolume(NodeExpandVolumeRequest
                .newBuilder().setVolumeId(vol.id).setVolumePath(vol.target.toString())
                .setStagingTargetPath(vol.staging.toString())
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(vol.capacity))
                .setVolumeCapability(layout.capability).build()).getCapacityBytes(), String::valueOf);
        assertEquals(vol.capacity, nodeBytes, "NodeExpandVolume " + vol.name);
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

    /**
     * After a clean restart, with every volume unstaged by the CO: the driver and the disk hold exactly what the
     * CO expects, nothing else is mounted, attached or accounted, and every write is there.
     */
    private void proveNothingLeakedOrLost(LoopDisk btrfs) throws IOException {
        Map<String, Long> listedVolumes = new TreeMap<>();
        List<String> listedIds = new ArrayList<>();
        String token = "";
        do {
            String after = token;
            ListVolumesResponse page = driver.call("ListVolumes", d -> d.controller().listVolumes(
                    ListVolumesRequest.newBuilder().setMaxEntries(7).setStartingToken(after).build()))
                    .ok("ListVolumes");
            page.getEntriesList().forEach(e -> {
                listedVolumes.put(e.getVolume().getVolumeId(), e.getVolume().getCapacityBytes());
                listedIds.add(e.getVolume().getVolumeId());
            });
            token = page.getNextToken();
        } while (!token.isEmpty());
        assertEquals(volumes.values().stream().collect(Collectors.toMap(v -> v.id, v -> v.capacity, (a, b) -> a,
                TreeMap::new)), listedVolumes, "ListVolumes after the last restart");
        assertEquals(listedVolumes.size(), listedIds.size(), "ListVolumes listed a volume twice: " + listedIds);

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

        // Every volume is unstaged: no mount under the test's root and no loop device of a volume may be left
        // (the btrfs disk's own mount and loop device are the test's).
        Path own = btrfs == null ? null : btrfs.mountPoint();
        assertEquals(List.of(), root.mounts().stream().filter(m -> !m.equals(own)).toList(),
                "mounts left with every volume unstaged");
        assertEquals(List.of(), root.loopDevices().stream().filter(l -> btrfs == null
                || !l.endsWith(" " + btrfs.image())).toList(), "loop devices left with every volume unstaged");

        if (layout.disk == CrashLayout.Disk.NFS_EXPORT) {
            proveTheExportHoldsExactlyTheVolumes();
        } else {
            proveTheDiskHoldsExactlyTheVolumes();
            if (btrfs != null) {
                proveNoSubvolumeOrQgroupIsLeft();
            }
            proveCapacityIsAccounted("after the last restart");
        }

        for (Vol vol : volumes.values()) {
            stage(vol);
            publish(vol);
            assertSameFiles(vol.files, read(vol), "volume " + vol.name + " after the last restart");
            proveTheVolumeHasItsSize(vol);
            unpublish(vol);
            unstage(vol);
        }
        System.out.printf("crash harness [%s]: %d volumes (%d acknowledged writes) and %d snapshots all there%n",
                layout, volumes.size(), volumes.values().stream().mapToInt(v -> v.files.size()).sum(),
                snapshots.size());
    }

    private void proveTheDiskHoldsExactlyTheVolumes() throws IOException {
        assertEquals(volumes.values().stream().map(v -> lastPart(v.id)).collect(Collectors.toCollection(TreeSet::new)),
                entries(disk.resolve("volumes")), "volume directories on the disk");
        assertEquals(snapshots.values().stream().map(s -> lastPart(s.id())).collect(Collectors.toCollection(
                TreeSet::new)), entries(disk.resolve("snapshots")), "snapshot directories on the disk");
        assertEquals(List.of(), leftovers(disk), "half-made or half-deleted files on the disk");
    }

    /** The export's top holds one directory per volume (subDir is the PV name) and the driver's own records. */
    private void proveTheExportHoldsExactlyTheVolumes() throws IOException {
        Set<String> top = entries(export);
        top.remove(".ordinal");
        assertEquals(new TreeSet<>(volumes.keySet()), top, "volume directories on the export");
        Path records = export.resolve(".ordinal");
        assertEquals(volumes.size(), entries(records.resolve("volumes")).size(), "volume records on the export: "
                + entries(records.resolve("volumes")));
        assertEquals(snapshots.size(), entries(records.resolve("snapshots")).size(), "snapshots on the export: "
                + entries(records.resolve("snapshots")));
        if (Files.isDirectory(records.resolve("filling"))) {
            assertEquals(Set.of(), entries(records.resolve("filling")), "restores and clones left unfinished");
        }
        assertEquals(List.of(), leftovers(export), "half-made or half-deleted files on the export");
        // The node remembers staged volumes only: with every volume unstaged, nothing.
        Path nodeState = root.path().resolve("state").resolve("nfs");
        if (Files.isDirectory(nodeState)) {
            assertEquals(Set.of(), entries(nodeState), "NFS node state with every volume unstaged");
        }
    }

    /** Subvolumes are exactly the volumes' and snapshots' data; once deletions are done, so are the qgroups. */
    private void proveNoSubvolumeOrQgroupIsLeft() {
        Set<String> expected = new TreeSet<>();
        volumes.values().forEach(v -> expected.add("volumes/" + lastPart(v.id) + "/data"));
        snapshots.values().forEach(s -> expected.add("snapshots/" + lastPart(s.id()) + "/data"));
        Set<String> subvolumes = new TreeSet<>();
        for (String line : Command.check("subvolumes", "btrfs", "subvolume", "list", "--", disk.toString())
                .split("\n")) {
            int path = line.indexOf(" path ");
            if (path >= 0) {
                subvolumes.add(line.substring(path + " path ".length()).strip());
            }
        }
        assertEquals(expected, subvolumes, "btrfs subvolumes on the disk");
        // Deleted subvolumes are cleaned up in the background; their qgroups go once that is done.
        Command.check("subvolume sync", "btrfs", "subvolume", "sync", "--", disk.toString());
        Set<String> qgroups = new TreeSet<>();
        for (String line : Command.check("qgroups", "btrfs", "qgroup", "show", "--raw", "--", disk.toString())
                .split("\n")) {
            String[] f = line.strip().split("\s+");
            if (f.length >= 1 && f[0].startsWith("0/") && !f[0].equals("0/5")) {
                qgroups.add(f[0]);
            }
        }
        assertEquals(expected.size(), qgroups.size(), "qgroups " + qgroups + " for subvolumes " + subvolumes);
    }

    /**
     * GetCapacity offers the disk less what the volumes and snapshots that exist hold: an interrupted creation
     * or deletion leaves no reservation behind, and nothing is counted twice.
     */
    private void proveCapacityIsAccounted(String when) {
        long held = volumes.values().stream().mapToLong(v -> v.capacity).sum()
                + snapshots.values().stream().mapToLong(Snap::size).sum();
        long available = driver.call("GetCapacity", d -> d.controller().getCapacity(GetCapacityRequest.newBuilder()
                .putAllParameters(layout.parameters("capacity")).addVolumeCapabilities(layout.capability).build()))
                .ok("GetCapacity").getAvailableCapacity();
        assertEquals(capacityMiB * MIB - held, available, "GetCapacity " + when + " (disk " + capacityMiB
                + " MiB, volumes and snapshots hold " + held + " bytes)");
    }

    /** The volume has the size it was last grown to, where the user sees it: filesystem, device or limit. */
    private void proveTheVolumeHasItsSize(Vol vol) {
        Path dir = disk.resolve("volumes").resolve(lastPart(vol.id));
        switch (layout) {
            case EXT4_IMAGE -> {
                Path device = LoopDevices.backing(dir.resolve("image")).getFirst();
                Filesystems.Ext4Geometry fs = Filesystems.ext4Geometry(device);
                assertFalse(fs.growsOnto(vol.capacity), "the filesystem of " + vol.name + " holds " + fs.bytes()
                        + " bytes, less than its " + vol.capacity);
            }
            case XFS_IMAGE -> assertEquals(vol.capacity, Filesystems.xfsBytes(vol.staging),
                    "the xfs filesystem of " + vol.name);
            case BLOCK_IMAGE -> assertEquals(vol.capacity, Long.parseLong(Command.check("size of " + vol.target,
                    "blockdev", "--getsize64", vol.target.toString()).strip()), "the device of " + vol.name);
            case SUBVOLUME -> assertEquals(OptionalLong.of(vol.capacity), Btrfs.usage(dir.resolve("data"))
                    .limitBytes(), "the qgroup limit of " + vol.name);
            case DIR, NFS -> {
                // No limit to check: the size is what ListVolumes reports, checked above.
            }
        }
    }

    private void cleanUpThroughTheDriver() throws IOException {
        for (Vol vol : List.copyOf(volumes.values())) {
            deleteVolume(vol);
        }
        for (Snap snap : List.copyOf(snapshots.values())) {
            deleteSnapshot(snap);
        }
        if (layout.disk == CrashLayout.Disk.NFS_EXPORT) {
            proveTheExportHoldsExactlyTheVolumes();
            return;
        }
        assertEquals(Set.of(), entries(disk.resolve("volumes")), "volumes left after deleting them all");
        assertEquals(Set.of(), entries(disk.resolve("snapshots")), "snapshots left after deleting them all");
        proveCapacityIsAccounted("after deleting everything");
    }

    private static String lastPart(String id) {
        return id.substring(id.lastIndexOf(':') + 1);
    }

    /** The names in {@code dir}; none when the driver never made it (the export's snapshots before the first). */
    private static Set<String> entries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return new TreeSet<>();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** Temporary files, partial copies and interrupted deletions: none may survive a restart. */
    private static List<Path> leftovers(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> {
                String name = p.getFileName().toString();
                return name.endsWith(".tmp") || name.contains(".partial") || name.contains("-partial")
                        || name.startsWith(".deleting-");
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
    }
}
