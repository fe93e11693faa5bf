package dev.ordinal.driver.csi;

import static dev.ordinal.driver.support.Csi.MIB;
import static dev.ordinal.driver.support.Csi.assertStatus;
import static dev.ordinal.driver.support.Csi.block;
import static dev.ordinal.driver.support.Csi.create;
import static dev.ordinal.driver.support.Csi.mount;
import static dev.ordinal.driver.support.Csi.publish;
import static dev.ordinal.driver.support.Csi.stage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.IdentityGrpc;
import dev.ordinal.csi.v1.NodeGrpc;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.ProbeRequest;
import dev.ordinal.driver.DriverAssembly;
import dev.ordinal.driver.DriverMode;
import dev.ordinal.driver.host.Command;
import dev.ordinal.driver.host.LoopDevices;
import dev.ordinal.driver.host.MountEntry;
import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.local.DiskSetup;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.nfs.NfsSettings;
import dev.ordinal.driver.support.Sentinel;
import dev.ordinal.driver.support.TestRoot;
import dev.ordinal.driver.volume.VolumeLocks;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The node plugin probed as an attacker or a buggy caller would (issue 24): a real all-in-one driver (the real
 * services, disks, loop devices and mounts) on its real unix socket, which lies inside its own publish root as the
 * all-in-one defaults put it, driven by a real gRPC client. Around the probes stand canaries: files and an empty
 * directory of someone else's under the publish root, a tmpfs of someone else's mounted there, three other volumes
 * staged and published (a dir, an ext4 image, a block image), and a sentinel directory outside every root. After
 * every probe each canary must be exactly as it was, and the driver must still serve.
 */
class AdversarialSocketTest {

    /** The symlink race: tries in CI (bounded by {@link #RACE_SECONDS} too); -Dordinal.race.tries=10000 for more. */
    private static final int RACE_TRIES = Integer.getInteger("ordinal.race.tries", 2000);
    private static final long RACE_SECONDS = Long.getLong("ordinal.race.seconds",
            System.getProperty("ordinal.race.tries") == null ? 20 : Long.MAX_VALUE / 2_000_000_000L);
    private static final String NFS_ID = "nfs#127.0.0.1#/srv#x";

    private static TestRoot root;
    private static Sentinel sentinel;
    private static Path kubelet;
    private static Path socket;
    private static DriverAssembly assembly;
    private static CsiSocketServer server;
    private static EpollEventLoopGroup loop;
    private static ManagedChannel channel;
    private static NodeGrpc.NodeBlockingStub node;
    private static ControllerGrpc.ControllerBlockingStub controller;

    private static Path canaryFile;
    private static Path canaryEmptyDir;
    private static Path canaryTmpfs;
    private static Path outside;

    /** A volume this suite stages (and publishes) as someone else's, never to be touched by the probes. */
    private record Neighbour(String id, Path staging, Path target, dev.ordinal.csi.v1.VolumeCapability capability) {
    }

    private static Neighbour dirVolume;
    private static Neighbour imageVolume;
    private static Neighbour blockVolume;
    /** Volume A of the issue: staged, used as the caller's own volume in the probes. */
    private static String volumeA;
    private static Path stagingA;

    @BeforeAll
    static void start() throws IOException {
        root = TestRoot.create("adversarial");
        sentinel = Sentinel.create();
        kubelet = root.dir("kubelet");
        outside = root.dir("outside");
        socket = root.dir("kubelet/plugins/ordinal.csi.dev").resolve("csi.sock");
        LocalDisk disk = DiskSetup.open(new DiskName("d1"), root.dir("disks/d1"), Optional.of(Capacity.ofMiB(1024)),
                true);
        assembly = DriverAssembly.build(new DriverAssembly.Settings(DriverMode.ALL, new NodeName("adv-node"),
                List.of(disk), List.of(kubelet), Map.of(), 0, Capacity.ofMiB(16), "adversarial", new VolumeLocks(),
                NfsSettings.none(root.dir("state"))));
        server = CsiSocketServer.start(socket, assembly.services(), new SimpleMeterRegistry(), 4);
        loop = new EpollEventLoopGroup(1);
        channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString())).eventLoopGroup(loop)
                .channelType(EpollDomainSocketChannel.class).usePlaintext().overrideAuthority("localhost").build();
        node = NodeGrpc.newBlockingStub(channel);
        controller = ControllerGrpc.newBlockingStub(channel);

        canaryFile = kubelet.resolve("canary.txt");
        Files.writeString(canaryFile, "someone else's file");
        canaryEmptyDir = root.dir("kubelet/pods/someone/empty");
        canaryTmpfs = root.dir("kubelet/pods/someone/tmpfs");
        Command.check("canary tmpfs", "mount", "-t", "tmpfs", "-o", "size=1m", "canary", canaryTmpfs.toString());
        Files.writeString(canaryTmpfs.resolve("marker"), "tmpfs canary");

        dirVolume = neighbour("dir-b", "dir", mount(""));
        imageVolume = neighbour("image-c", "image", mount("ext4"));
        blockVolume = neighbour("block-d", "image", block());
        volumeA = controller.createVolume(create("dir-a", 8 * MIB, "dir", mount(""))).getVolume().getVolumeId();
        stagingA = kubelet.resolve("plugins/staging/a");
        node.nodeStageVolume(stage(volumeA, stagingA, mount("")));
    }

    private static Neighbour neighbour(String name, String layout, dev.ordinal.csi.v1.VolumeCapability capability)
            throws IOException {
        String id = controller.createVolume(create(name, 16 * MIB, layout, capability)).getVolume().getVolumeId();
        Path staging = kubelet.resolve("plugins/staging/" + name);
        Path target = kubelet.resolve("pods/pod-" + name + "/volumes/" + name);
        node.nodeStageVolume(stage(id, staging, capability));
        node.nodePublishVolume(publish(id, staging, target, capability, false));
        if (!capability.hasBlock()) {
            Files.writeString(target.resolve("marker"), name);
        }
        return new Neighbour(id, staging, target, capability);
    }

    @AfterEach
    void everyCanaryIsIntact() throws IOException {
        assertEquals("someone else's file", Files.readString(canaryFile));
        assertTrue(Files.isDirectory(canaryEmptyDir));
        assertTrue(Files.exists(socket), "the driver's socket is still there");
        assertEquals("tmpfs", MountTable.read().at(canaryTmpfs).map(MountEntry::fsType).orElse("not mounted"));
        assertEquals("tmpfs canary", Files.readString(canaryTmpfs.resolve("marker")));
        for (Neighbour n : List.of(dirVolume, imageVolume)) {
            assertTrue(MountTable.read().isMountPoint(n.staging()), n.staging() + " is still mounted");
            assertTrue(MountTable.read().isMountPoint(n.target()), n.target() + " is still mounted");
            assertEquals(n.target().getFileName().toString(), Files.readString(n.target().resolve("marker")));
        }
        assertTrue(MountTable.read().isMountPoint(blockVolume.target()), "the block volume is still published");
        assertTrue(MountTable.read().isMountPoint(stagingA), "volume A is still staged");
        // The driver still serves on its socket.
        assertTrue(IdentityGrpc.newBlockingStub(channel).probe(ProbeRequest.getDefaultInstance()).getReady()
                .getValue());
    }

    @AfterAll
    static void stop() {
        try {
            node.nodeUnstageVolume(unstage(volumeA, stagingA));
            for (Neighbour n : List.of(dirVolume, imageVolume, blockVolume)) {
                node.nodeUnpublishVolume(unpublish(n.id(), n.target()));
                node.nodeUnstageVolume(unstage(n.id(), n.staging()));
                controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(n.id()).build());
            }
            controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(volumeA).build());
            Command.run("umount", canaryTmpfs.toString());
        } finally {
            channel.shutdownNow();
            loop.shutdownGracefully();
            server.close();
            assembly.close();
            sentinel.close();
            root.close();
        }
    }

    // ---- item 1: unpublish deletes only what a publish of the named volume created --------------------------

    @Test
    void unpublishOfPathsThatHoldNothingOfTheVolumeDeletesNothing() {
        // Nothing mounted and nothing the driver made for A or for the NFS id: OK (idempotent), nothing removed.
        for (Path foreign : List.of(socket, canaryFile, canaryEmptyDir)) {
            node.nodeUnpublishVolume(unpublish(volumeA, foreign));
            node.nodeUnpublishVolume(unpublish(NFS_ID, foreign));
        }
    }

    @Test
    void blockPublishOntoAFileTheDriverDidNotCreateIsRefusedAndItsUnpublishLeavesTheFile() {
        String message = assertStatus(Status.Code.FAILED_PRECONDITION, () -> node.nodePublishVolume(
                publish(blockVolume.id(), blockVolume.staging(), canaryFile, block(), false)));
        assertTrue(message.contains("did not create"), message);
        node.nodeUnpublishVolume(unpublish(blockVolume.id(), canaryFile));
    }

    @Test
    void publishOntoADirectoryHoldingFilesIsRefused() throws IOException {
        Path full = root.dir("kubelet/pods/someone/full");
        Files.writeString(full.resolve("data"), "keep");
        String message = assertStatus(Status.Code.FAILED_PRECONDITION, () -> node.nodePublishVolume(
                publish(volumeA, stagingA, full, mount(""), false)));
        assertTrue(message.contains("holding files"), message);
        assertEquals("keep", Files.readString(full.resolve("data")));
        assertFalse(MountTable.read().isMountPoint(full));
    }

    @Test
    void publishOntoAnotherVolumesTargetOrStagingPathIsRefused() {
        for (Path taken : List.of(dirVolume.target(), dirVolume.staging(), imageVolume.target(),
                imageVolume.staging())) {
            StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> node.nodePublishVolume(publish(volumeA, stagingA, taken, mount(""), false)));
            assertTrue(Set.of(Status.Code.ALREADY_EXISTS, Status.Code.FAILED_PRECONDITION)
                    .contains(e.getStatus().getCode()), e.getStatus().toString());
            assertEquals(1, MountTable.read().mountsAt(taken), "nothing stacked on " + taken);
        }
    }

    @Test
    void aPublishThenTwoUnpublishesRemoveTheTargetTheDriverMadeAndAreOk() {
        Path target = kubelet.resolve("pods/pod-a/volumes/a");
        node.nodePublishVolume(publish(volumeA, stagingA, target, mount(""), false));
        assertTrue(MountTable.read().isMountPoint(target));
        node.nodeUnpublishVolume(unpublish(volumeA, target));
        assertFalse(Files.exists(target), "the directory the publish made is removed");
        node.nodeUnpublishVolume(unpublish(volumeA, target));
        assertTrue(Files.isDirectory(target.getParent()), "the parent, made for the target, is not the caller's to lose");
    }

    // ---- item 2: unpublish and unstage unmount only the named volume ---------------------------------------

    @Test
    void unpublishAndUnstageOfAnotherVolumesMountAreRefusedAndLeaveIt() {
        for (Neighbour n : List.of(dirVolume, imageVolume, blockVolume)) {
            String message = assertStatus(Status.Code.FAILED_PRECONDITION,
                    () -> node.nodeUnpublishVolume(unpublish(volumeA, n.target())));
            assertTrue(message.contains("not volume " + volumeA), message);
            if (!n.capability().hasBlock()) {
                assertStatus(Status.Code.FAILED_PRECONDITION,
                        () -> node.nodeUnstageVolume(unstage(volumeA, n.staging())));
            }
        }
        assertStatus(Status.Code.FAILED_PRECONDITION,
                () -> node.nodeUnpublishVolume(unpublish(dirVolume.id(), imageVolume.target())));
        assertStatus(Status.Code.FAILED_PRECONDITION,
                () -> node.nodeUnstageVolume(unstage(imageVolume.id(), dirVolume.staging())));
    }

    @Test
    void someoneElsesTmpfsIsNeverUnmountedWhateverIdIsNamed() {
        for (String id : List.of(volumeA, NFS_ID, dirVolume.id())) {
            String message = assertStatus(Status.Code.FAILED_PRECONDITION,
                    () -> node.nodeUnpublishVolume(unpublish(id, canaryTmpfs)));
            assertTrue(message.contains("canary (tmpfs)"), message);
            assertStatus(Status.Code.FAILED_PRECONDITION, () -> node.nodeUnstageVolume(unstage(id, canaryTmpfs)));
        }
    }

    @Test
    void anNfsIdWithNoExportConfiguredUnmountsNothing() {
        for (Neighbour n : List.of(dirVolume, imageVolume)) {
            assertStatus(Status.Code.FAILED_PRECONDITION, () -> node.nodeUnpublishVolume(unpublish(NFS_ID, n.target())));
            assertStatus(Status.Code.FAILED_PRECONDITION, () -> node.nodeUnstageVolume(unstage(NFS_ID, n.staging())));
        }
    }

    // ---- item 3: a read-only block publish cannot write into the volume ----------------------------------------

    @Test
    void aReadOnlyBlockPublishRefusesWritesAndTheImageKeepsItsBytes() throws IOException {
        Path image = imageOf(blockVolume.id());
        byte[] before = headOf(image);
        // A marker unlike anything in the image (a fresh image reads as zeros), so a write that got through shows.
        Path marker = root.dir("markers").resolve("block-marker");
        byte[] markerBytes = new byte[4096];
        java.util.Arrays.fill(markerBytes, (byte) 0x6b);
        Files.write(marker, markerBytes);
        assertFalse(java.util.Arrays.equals(markerBytes, before), "the image already holds the marker");
        dev.ordinal.csi.v1.VolumeCapability readerOnly = block().toBuilder().setAccessMode(
                dev.ordinal.csi.v1.VolumeCapability.AccessMode.newBuilder().setMode(
                        dev.ordinal.csi.v1.VolumeCapability.AccessMode.Mode.SINGLE_NODE_READER_ONLY)).build();
        // readonly:true on a writer's capability, and a reader-only capability without the flag: both read-only.
        for (boolean flag : List.of(true, false)) {
            Path target = kubelet.resolve("pods/reader/volumes/ro-" + flag);
            node.nodePublishVolume(publish(blockVolume.id(), blockVolume.staging(), target,
                    flag ? block() : readerOnly, flag));
            try {
                Command.Result write = Command.run("dd", "if=" + marker, "of=" + target, "bs=4096", "count=1",
                        "conv=notrunc,fsync", "oflag=direct");
                assertFalse(write.ok(), "dd wrote through a read-only publish: " + write);
                assertTrue(write.stderr().contains("Read-only file system")
                        || write.stderr().contains("Operation not permitted"), write.stderr());
                org.junit.jupiter.api.Assertions.assertArrayEquals(before, readOf(target),
                        "the device reads the volume's bytes");
            } finally {
                node.nodeUnpublishVolume(unpublish(blockVolume.id(), target));
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(before, headOf(image),
                    "the backing image is unchanged");
        }
    }

    private static Path imageOf(String id) {
        return root.path().resolve("disks/d1/volumes").resolve(id.substring(id.lastIndexOf(':') + 1))
                .resolve("image");
    }

    private static byte[] headOf(Path file) throws IOException {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(4096);
        }
    }

    private static byte[] readOf(Path device) throws IOException {
        return headOf(device);
    }

    // ---- item 5: no space is promised that the disk does not have ----------------------------------------------

    @Test
    void getCapacityNeverExceedsTheFreeSpaceAndALargerVolumeIsResourceExhausted() throws IOException {
        Path disk = root.path().resolve("disks/d1");
        long held = 0;
        for (Neighbour n : List.of(imageVolume, blockVolume)) {
            held += Files.size(imageOf(n.id()));
        }
        long entries;
        try (java.util.stream.Stream<Path> list = Files.list(disk.resolve("volumes"))) {
            entries = list.count();
        }
        for (String layout : List.of("image", "dir")) {
            // The free space is read after GetCapacity: anything written meanwhile only makes the check stricter.
            long offered = capacity(layout);
            long free = Files.getFileStore(disk).getUsableSpace();
            assertTrue(offered <= free + held, "GetCapacity (" + layout + ") offers " + offered + " bytes; statvfs "
                    + "says " + free + " are free and image volumes hold " + held);
            assertTrue(offered <= 1024 * MIB, "no more than the disk's configured 1024 MiB: " + offered);
            long tooLarge = (offered / MIB + 1) * MIB;
            String message = assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> controller.createVolume(
                    create("too-large-" + layout, tooLarge, layout, layout.equals("image") ? block() : mount(""))));
            // With numbers: what was asked and the most any disk has.
            assertTrue(message.contains(tooLarge / MIB + " MiB asked") && message.matches(".*has \\d+ MiB.*"),
                    message);
            try (java.util.stream.Stream<Path> list = Files.list(disk.resolve("volumes"))) {
                assertEquals(entries, list.count(), "the refusal left nothing on the disk");
            }
        }
    }

    private static long capacity(String layout) {
        return controller.getCapacity(dev.ordinal.csi.v1.GetCapacityRequest.newBuilder()
                .putParameters("layout", layout).build()).getAvailableCapacity();
    }

    // ---- item 6: the lower-impact probes, each answered as the spec says ---------------------------------------

    @Test
    void aNewlineInAnIdCannotForgeALogLine() {
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                lines.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger rpc = java.util.logging.Logger.getLogger("dev.ordinal.driver.rpc");
        rpc.addHandler(capture);
        String forged = "x\nrpc=DeleteVolume volume=local:adv-node:d1:victim code=OK duration_ms=1.00";
        try {
            String message = assertStatus(Status.Code.NOT_FOUND,
                    () -> node.nodeUnpublishVolume(unpublish(forged, kubelet.resolve("t"))));
            assertFalse(message.contains("\n"), message);
            assertFalse(message.contains("\r"), message);
        } finally {
            rpc.removeHandler(capture);
        }
        List<String> ours = lines.stream().filter(l -> l.contains("victim")).toList();
        assertEquals(1, ours.size(), "one RPC, one line: " + ours);
        assertTrue(ours.get(0).startsWith("rpc=NodeUnpublishVolume volume=x\\u000arpc=DeleteVolume"), ours.get(0));
        assertFalse(ours.get(0).contains("\n"), ours.get(0));
    }

    @Test
    void hugeIdsPathsAndParametersAreRefusedWithTheirSizeNotEchoed() {
        String huge = "v".repeat(100_000);
        String message = assertStatus(Status.Code.INVALID_ARGUMENT,
                () -> node.nodeUnpublishVolume(unpublish(huge, kubelet.resolve("t"))));
        assertEquals("volume_id is 100000 bytes; the limit is 1024", message);
        message = assertStatus(Status.Code.INVALID_ARGUMENT,
                () -> node.nodeUnpublishVolume(unpublish(volumeA, kubelet.resolve("p".repeat(100_000)))));
        assertEquals("target_path is 100002 bytes; the limit is 4096", message.replace(kubelet.toString().length()
                + 100_001 + "", "100002"), message);
        message = assertStatus(Status.Code.INVALID_ARGUMENT, () -> controller.createVolume(
                create("big-parameter", 8 * MIB, "dir", mount("")).toBuilder()
                        .putParameters("note", "n".repeat(1_000_000)).build()));
        assertTrue(message.startsWith("parameters is 10000") && message.endsWith("bytes; the limit is 4096"), message);
        // Just below the id limit: the answer is a status, not INTERNAL RST_STREAM, and the echo is cut short.
        String long1000 = "w\n".repeat(500);
        message = assertStatus(Status.Code.NOT_FOUND,
                () -> node.nodeUnpublishVolume(unpublish(long1000, kubelet.resolve("t"))));
        assertTrue(message.length() < 8 * 1024, "a message of " + message.length() + " characters");
    }

    @Test
    void singleNodeSingleWriterIsPublishedAtOneTargetOnly() {
        dev.ordinal.csi.v1.VolumeCapability single = mount("").toBuilder().setAccessMode(
                dev.ordinal.csi.v1.VolumeCapability.AccessMode.newBuilder().setMode(
                        dev.ordinal.csi.v1.VolumeCapability.AccessMode.Mode.SINGLE_NODE_SINGLE_WRITER)).build();
        Path first = kubelet.resolve("pods/single/volumes/first");
        Path second = kubelet.resolve("pods/single/volumes/second");
        node.nodePublishVolume(publish(volumeA, stagingA, first, single, false));
        try {
            node.nodePublishVolume(publish(volumeA, stagingA, first, single, false));
            String message = assertStatus(Status.Code.FAILED_PRECONDITION,
                    () -> node.nodePublishVolume(publish(volumeA, stagingA, second, single, false)));
            assertTrue(message.contains("already published at " + first), message);
            assertFalse(MountTable.read().isMountPoint(second));
        } finally {
            node.nodeUnpublishVolume(unpublish(volumeA, first));
        }
    }

    @Test
    void createVolumeOfAnExistingNameOnANodeTheRequisiteTopologyExcludesIsAlreadyExists() {
        dev.ordinal.csi.v1.CreateVolumeRequest again = create("dir-a", 8 * MIB, "dir", mount(""));
        String message = assertStatus(Status.Code.ALREADY_EXISTS, () -> controller.createVolume(again.toBuilder()
                .setAccessibilityRequirements(requisite("other-node")).build()));
        assertTrue(message.contains("exists on node adv-node"), message);
        assertEquals(volumeA, controller.createVolume(again.toBuilder()
                .setAccessibilityRequirements(requisite("adv-node")).build()).getVolume().getVolumeId());
    }

    private static dev.ordinal.csi.v1.TopologyRequirement requisite(String nodeName) {
        return dev.ordinal.csi.v1.TopologyRequirement.newBuilder().addRequisite(dev.ordinal.csi.v1.Topology
                .newBuilder().putSegments("topology.ordinal.csi.dev/node", nodeName)).build();
    }

    @Test
    void stagingWithAFilesystemTheDriverDoesNotMakeIsInvalidArgument() {
        for (String fs : List.of("proc", "tmpfs", "sysfs", "nfs", "devtmpfs", "cgroup2")) {
            for (Neighbour n : List.of(imageVolume, dirVolume)) {
                Path staging = kubelet.resolve("plugins/staging/fs-" + fs);
                String message = assertStatus(Status.Code.INVALID_ARGUMENT,
                        () -> node.nodeStageVolume(stage(n.id(), staging, mount(fs))));
                assertTrue(message.contains("fs_type " + fs), message);
                assertFalse(MountTable.read().isMountPoint(staging));
            }
        }
    }

    @Test
    void aSecondStagingPathOrAReStageAskingForSomethingElseIsAlreadyExists() {
        for (Neighbour n : List.of(imageVolume, dirVolume)) {
            Path other = kubelet.resolve("plugins/staging/second-" + n.target().getFileName());
            assertStatus(Status.Code.ALREADY_EXISTS, () -> node.nodeStageVolume(stage(n.id(), other, mount(""))));
            assertFalse(MountTable.read().isMountPoint(other));
            dev.ordinal.csi.v1.VolumeCapability noexec = n.capability().toBuilder().setMount(
                    n.capability().getMount().toBuilder().addMountFlags("noexec")).build();
            assertStatus(Status.Code.ALREADY_EXISTS, () -> node.nodeStageVolume(stage(n.id(), n.staging(), noexec)));
            dev.ordinal.csi.v1.VolumeCapability readOnly = n.capability().toBuilder().setAccessMode(
                    dev.ordinal.csi.v1.VolumeCapability.AccessMode.newBuilder().setMode(
                            dev.ordinal.csi.v1.VolumeCapability.AccessMode.Mode.SINGLE_NODE_READER_ONLY)).build();
            assertStatus(Status.Code.ALREADY_EXISTS,
                    () -> node.nodeStageVolume(stage(n.id(), n.staging(), readOnly)));
            // The same stage again is a retry: OK.
            node.nodeStageVolume(stage(n.id(), n.staging(), n.capability()));
        }
        assertStatus(Status.Code.ALREADY_EXISTS,
                () -> node.nodeStageVolume(stage(imageVolume.id(), imageVolume.staging(), mount("xfs"))));
    }

    @Test
    void aSecondStagingPathOfABlockVolumeIsAlreadyExistsAndItsUnstageLeavesTheStagedDevice() {
        // A block stage mounts nothing: the staging path is what the driver recorded for it.
        Path other = kubelet.resolve("plugins/staging/second-block");
        Path image = imageOf(blockVolume.id());
        Path device = LoopDevices.writable(image).orElseThrow();
        String message = assertStatus(Status.Code.ALREADY_EXISTS,
                () -> node.nodeStageVolume(stage(blockVolume.id(), other, block())));
        assertTrue(message.contains("already staged at " + blockVolume.staging() + ", not at " + other), message);
        // The same stage again is a retry: OK, and the same device.
        node.nodeStageVolume(stage(blockVolume.id(), blockVolume.staging(), block()));
        // Nothing of the volume is staged at the other path: its unstage is OK and detaches nothing.
        node.nodeUnstageVolume(unstage(blockVolume.id(), other));
        assertEquals(Optional.of(device), LoopDevices.writable(image));
        assertStatus(Status.Code.ALREADY_EXISTS,
                () -> node.nodeStageVolume(stage(blockVolume.id(), other, block())));
    }

    @Test
    void aBlockVolumeUnstagedOrLeftByACrashBeforeItsAttachStagesAnywhere() throws IOException {
        String id = controller.createVolume(create("block-e", 8 * MIB, "image", block())).getVolume().getVolumeId();
        Path image = imageOf(id);
        Path first = kubelet.resolve("plugins/staging/block-e-1");
        Path second = kubelet.resolve("plugins/staging/block-e-2");
        try {
            node.nodeStageVolume(stage(id, first, block()));
            node.nodeUnstageVolume(unstage(id, first));
            assertEquals(Optional.empty(), LoopDevices.writable(image));
            // Unstaged at the first path, the volume stages at another.
            node.nodeStageVolume(stage(id, second, block()));
            assertStatus(Status.Code.ALREADY_EXISTS, () -> node.nodeStageVolume(stage(id, first, block())));
            node.nodeUnstageVolume(unstage(id, second));
            assertFalse(Files.exists(image.resolveSibling("block-staging")), "the record goes with the device");
            // A crash after the record was written and before the device was attached: a record, no device. The
            // volume is not staged, and a stage at another path goes ahead.
            Files.writeString(image.resolveSibling("block-staging"), second + "\n");
            node.nodeStageVolume(stage(id, first, block()));
            assertTrue(LoopDevices.writable(image).isPresent());
            assertEquals(first.toString(), Files.readString(image.resolveSibling("block-staging")).strip());
        } finally {
            node.nodeUnstageVolume(unstage(id, first));
            node.nodeUnstageVolume(unstage(id, second));
            controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
        }
        assertEquals(Optional.empty(), LoopDevices.writable(image));
    }

    @Test
    void mountFlagsThatReachTheFilesystemDangerouslyAreRefused() {
        for (String flag : List.of("noload", "norecovery", "nobarrier", "barrier=0", "errors=continue",
                "logdev=/dev/sda1", "rtdev=/dev/sdb", "sb=8193", "journal_dev=259", "journal_path=/dev/sdc")) {
            Path staging = kubelet.resolve("plugins/staging/flag");
            dev.ordinal.csi.v1.VolumeCapability capability = mount("ext4").toBuilder()
                    .setMount(mount("ext4").getMount().toBuilder().addMountFlags(flag)).build();
            String message = assertStatus(Status.Code.INVALID_ARGUMENT,
                    () -> node.nodeStageVolume(stage(imageVolume.id(), staging, capability)));
            assertTrue(message.contains("mount flag"), message);
            assertFalse(message.contains("/dev/sd"), "the flag's value is not echoed: " + message);
            assertFalse(MountTable.read().isMountPoint(staging));
        }
    }

    // ---- item 4: the symlink swap race never lands outside the root ------------------------------------------

    /**
     * A directory component of the target and a symbolic link to a directory outside the publish root are swapped
     * with renameat2(RENAME_EXCHANGE) in a tight loop by another process, while the volume is published and
     * unpublished there again and again. A publish either lands inside the root or is refused; never outside.
     */
    @Test
    void theSymlinkSwapRaceNeverLandsOutsideTheRoot() throws Exception {
        Path race = root.dir("kubelet/race");
        Path escape = root.dir("outside/t");
        Files.createDirectories(race.resolve("a"));
        Files.createSymbolicLink(race.resolve("link"), outside);
        Path target = race.resolve("a/t");
        Process swapper = new ProcessBuilder("perl", "-e", SWAPPER, race.resolve("a").toString(),
                race.resolve("link").toString()).redirectErrorStream(true).start();
        int published = 0;
        int refused = 0;
        int tries = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(RACE_SECONDS).toNanos();
        List<String> escaped = new ArrayList<>();
        try {
            for (; tries < RACE_TRIES && System.nanoTime() < deadline && escaped.isEmpty(); tries++) {
                try {
                    node.nodePublishVolume(publish(volumeA, stagingA, target, mount(""), false));
                    published++;
                } catch (StatusRuntimeException e) {
                    refused++;
                    assertTrue(Set.of(Status.Code.INVALID_ARGUMENT, Status.Code.FAILED_PRECONDITION)
                            .contains(e.getStatus().getCode()), e.getStatus().toString());
                }
                MountTable.read().at(escape).ifPresent(m -> escaped.add(m.mountPoint().toString()));
                // Undo (through the same race) until nothing of A is mounted under the race directory.
                for (int undo = 0; mountedUnder(race); undo++) {
                    assertTrue(undo < 10_000, "the unpublish never got through the race");
                    try {
                        node.nodeUnpublishVolume(unpublish(volumeA, target));
                    } catch (StatusRuntimeException e) {
                        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
                    }
                }
            }
        } finally {
            swapper.destroy();
            swapper.waitFor();
            MountTable.read().at(escape).ifPresent(m -> Command.run("umount", "-l", escape.toString()));
        }
        System.out.printf("symlink swap race: %d tries, %d published inside the root, %d refused, %d outside%n",
                tries, published, refused, escaped.size());
        assertEquals(List.of(), escaped, "a publish landed outside the publish root");
        // The swapper ran: some publishes met the link and were refused (how many got through varies by machine).
        assertTrue(refused > 0, "no publish met the link: " + published + " published, " + refused + " refused");
        // Straighten the path and unpublish for good: what the publishes made is removed, the race dir stays.
        if (Files.isSymbolicLink(race.resolve("a"))) {
            Files.move(race.resolve("a"), race.resolve("swap"));
            Files.move(race.resolve("link"), race.resolve("a"));
            Files.move(race.resolve("swap"), race.resolve("link"));
        }
        node.nodeUnpublishVolume(unpublish(volumeA, target));
        assertFalse(mountedUnder(race));
    }

    private static boolean mountedUnder(Path dir) {
        return Sentinel.mountPoints().stream().anyMatch(p -> p.startsWith(dir));
    }

    /** renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) in a loop; the syscall number is per architecture. */
    private static final String SWAPPER = """
            my $nr = `uname -m` =~ /aarch64/ ? 276 : 316;
            while (1) { syscall($nr, -100, $ARGV[0], -100, $ARGV[1], 2) == 0 or die "renameat2: $!"; }
            """;

    static NodeUnpublishVolumeRequest unpublish(String id, Path target) {
        return NodeUnpublishVolumeRequest.newBuilder().setVolumeId(id).setTargetPath(target.toString()).build();
    }

    static NodeUnstageVolumeRequest unstage(String id, Path staging) {
        return NodeUnstageVolumeRequest.newBuilder().setVolumeId(id).setStagingTargetPath(staging.toString()).build();
    }

}
