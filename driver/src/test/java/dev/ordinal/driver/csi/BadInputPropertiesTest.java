package dev.ordinal.driver.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.csi.v1.CapacityRange;
import dev.ordinal.csi.v1.ControllerExpandVolumeRequest;
import dev.ordinal.csi.v1.CreateSnapshotRequest;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.DeleteSnapshotRequest;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.GetCapacityRequest;
import dev.ordinal.csi.v1.ListSnapshotsRequest;
import dev.ordinal.csi.v1.ListVolumesRequest;
import dev.ordinal.csi.v1.NodeExpandVolumeRequest;
import dev.ordinal.csi.v1.NodeGetVolumeStatsRequest;
import dev.ordinal.csi.v1.NodePublishVolumeRequest;
import dev.ordinal.csi.v1.NodeStageVolumeRequest;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.Topology;
import dev.ordinal.csi.v1.ValidateVolumeCapabilitiesRequest;
import dev.ordinal.csi.v1.VolumeCapability;
import dev.ordinal.csi.v1.VolumeContentSource;
import dev.ordinal.driver.nfs.NfsExport;
import dev.ordinal.driver.nfs.NfsSettings;
import dev.ordinal.driver.nfs.UsageCache;
import dev.ordinal.driver.support.Csi;
import dev.ordinal.driver.support.InProcessDriver;
import dev.ordinal.driver.support.Sentinel;
import dev.ordinal.driver.support.TestRoot;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Hostile input, generated: every RPC gets malformed names, capacities, ids crafted to leave the driver's roots,
 * paths outside the publish roots or through planted symbolic links, and parameters and mount flags that try to
 * inject options. The real services answer in-process (local disk with the {@code dir} and {@code image} layouts,
 * and an NFS export in bind mode), and every answer must be the spec's code with a message: never UNKNOWN or
 * INTERNAL for bad input. After the whole run a sentinel directory outside the roots, which the hostile requests
 * aim at, is unchanged and nothing was mounted outside the roots.
 *
 * <p>Each property runs {@code jqwik.tries.default} tries (1000, from junit-platform.properties): about 15,000
 * requests in all, under a minute. A full-size run, e.g. 20 times as many:
 * {@code ./mvnw -B -pl driver test -Dtest=BadInputPropertiesTest -Djqwik.tries.default=20000}.
 *
 * <p>Replaying a failure: jqwik prints {@code seed = <n>} in the report of a failed property and replays the failed
 * sample first on the next run (its database is under target/); to replay a seed elsewhere, put it in the failing
 * property's annotation, {@code @Property(seed = "<n>")}.
 */
class BadInputPropertiesTest {

    private static final String SERVER = "nas.example.com";
    private static final String SHARE = "/srv/k8s";
    /** Codes that mean "the driver did not decide": never acceptable for input, however bad. */
    private static final Set<Status.Code> NEVER = EnumSet.of(Status.Code.UNKNOWN, Status.Code.INTERNAL,
            Status.Code.UNIMPLEMENTED, Status.Code.UNAVAILABLE);
    private static final AtomicLong REQUESTS = new AtomicLong();

    private static TestRoot root;
    private static Sentinel sentinel;
    private static Set<Path> mountsBefore;
    private static InProcessDriver driver;
    private static Path publish;
    private static Path export;
    /** Ids of real objects: aimed at by the node calls, never deleted by the generators. */
    private static String dirVolume;
    private static String nfsVolume;
    private static String snapshot;
    private static Set<String> realIds;

    @BeforeContainer
    static void start() throws IOException {
        root = TestRoot.create("bad-input");
        sentinel = Sentinel.create();
        mountsBefore = Sentinel.mountPoints();
        publish = root.dir("pub");
        export = root.dir("exports/e1");
        Path disk = root.dir("disks/d1");
        // Links planted inside the roots, pointing at the sentinel: a path or subDir through them leaves the roots.
        Files.createSymbolicLink(publish.resolve("escape"), sentinel.path());
        Files.createSymbolicLink(publish.resolve("escape-file"), sentinel.path().resolve("passwd"));
        Files.createSymbolicLink(export.resolve("evil"), sentinel.path());
        Files.createDirectories(disk.resolve("volumes"));
        Files.createSymbolicLink(disk.resolve("volumes/evil-link"), sentinel.path());
        driver = InProcessDriver.start(root.path(), Map.of("d1", disk), Map.of("d1", Capacity.ofGiB(4)),
                new NfsSettings(List.of(NfsExport.parse(SERVER + ":" + SHARE + "=" + export)),
                        NfsSettings.NodeMount.BIND, root.dir("state"), UsageCache.Limits.DEFAULT, null));
        dirVolume = driver.controller().createVolume(Csi.create("real-dir", Csi.MIB, "dir", Csi.mount("")))
                .getVolume().getVolumeId();
        nfsVolume = driver.controller().createVolume(CreateVolumeRequest.newBuilder().setName("real-nfs")
                .addVolumeCapabilities(Csi.mount("")).putAllParameters(Map.of("server", SERVER, "share", SHARE,
                        "subDir", "real/nfs")).build()).getVolume().getVolumeId();
        snapshot = driver.controller().createSnapshot(CreateSnapshotRequest.newBuilder().setName("real-snap")
                .setSourceVolumeId(dirVolume).build()).getSnapshot().getSnapshotId();
        realIds = Set.of(dirVolume, nfsVolume, snapshot);
    }

    @AfterContainer
    static void stop() {
        try {
            for (String id : realIds) {
                if (id.equals(snapshot)) {
                    driver.controller().deleteSnapshot(DeleteSnapshotRequest.newBuilder().setSnapshotId(id).build());
                } else {
                    driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
                }
            }
            // Every property deletes what it made: only the real objects existed, and they are gone now.
            assertEquals(0, driver.controller().listVolumes(ListVolumesRequest.getDefaultInstance())
                    .getEntriesCount(), "volumes left by the generated requests");
            assertEquals(0, driver.controller().listSnapshots(ListSnapshotsRequest.getDefaultInstance())
                    .getEntriesCount(), "snapshots left by the generated requests");
            System.out.printf("BadInputPropertiesTest: %d generated requests%n", REQUESTS.get());
            if (System.getProperty("jqwik.tries.default") == null) {
                assertTrue(REQUESTS.get() >= 10_000, "at least 10,000 generated requests, got " + REQUESTS.get());
            }
            // Other test roots (a concurrent run elsewhere on the host) may mount under /tmp/ordinal-test too.
            sentinel.assertNoNewMountsOutside(mountsBefore, root.path().getParent());
        } finally {
            driver.close();
            try {
                sentinel.close();
            } finally {
                root.close();
            }
        }
    }

    // Names.

    @Property(shrinking = ShrinkingMode.BOUNDED)
    void namesAreCheckedAndNeverBecomePaths(@ForAll("names") String rawName, @ForAll("layouts") String layout) {
        CreateVolumeRequest request = wire(CreateVolumeRequest.newBuilder().setName(rawName)
                .addVolumeCapabilities(Csi.mount("")).putParameters("layout", layout).build());
        String name = request.getName();
        boolean valid = !name.isEmpty() && name.getBytes(StandardCharsets.UTF_8).length <= 128
                && name.chars().noneMatch(Character::isISOControl);
        Answer created = call(() -> driver.controller().createVolume(request).getVolume().getVolumeId());
        if (!valid) {
            created.expect(Status.Code.INVALID_ARGUMENT);
            return;
        }
        created.expect(Status.Code.OK);
        Path dir = root.path().resolve("disks/d1/volumes").resolve(created.value.substring(
                created.value.lastIndexOf(':') + 1));
        assertTrue(Files.isDirectory(dir) && dir.normalize().getParent().equals(root.path().resolve(
                "disks/d1/volumes")), () -> "volume " + created.value + " of name '" + name + "' is not a directory "
                        + "directly in the disk's volumes/");
        call(() -> driver.controller().createSnapshot(wire(CreateSnapshotRequest.newBuilder().setName(rawName)
                .setSourceVolumeId(created.value).build())).getSnapshot().getSnapshotId())
                .expect(Status.Code.OK).then(id -> call(() -> driver.controller().deleteSnapshot(
                        DeleteSnapshotRequest.newBuilder().setSnapshotId(id).build())).expect(Status.Code.OK));
        deleteVolume(created.value);
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.oneOf(
                Arbitraries.strings().all().ofMaxLength(160),
                Arbitraries.strings().withChars("/.\\\0\n\r\t\u0001\u007f\u0085\u2028\u00e9ab:#%$").ofMaxLength(40),
                Arbitraries.of("..", ".", "/", "../../etc", "a/../../b", "%2e%2e%2f", "..%2f..%2fetc", "\0",
                        "x\0y", ".ordinal", "snapshots", "volumes", "-rf", "--bind", "$(reboot)", "`id`", "a;b",
                        "evil-link", "v\n", "\u202e", "\ud83d\ude00".repeat(32), "\ud83d\ude00".repeat(33)),
                Arbitraries.strings().alpha().ofMinLength(9_990).ofMaxLength(10_000),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(120).ofMaxLength(140));
    }

    @Provide
    Arbitrary<String> layouts() {
        return Arbitraries.of("dir", "image");
    }

    // Capacities.

    @Property(shrinking = ShrinkingMode.BOUNDED)
    void capacitiesGetTheSpecCodes(@ForAll("bytes") long required, @ForAll("bytes") long limit,
            @ForAll("bytes") long grownRequired, @ForAll("bytes") long grownLimit, @ForAll("layouts") String layout) {
        CreateVolumeRequest request = CreateVolumeRequest.newBuilder().setName("capacity-" + layout)
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(required).setLimitBytes(limit))
                .addVolumeCapabilities(Csi.mount("")).putParameters("layout", layout).build();
        Answer created = call(() -> driver.controller().createVolume(request).getVolume().getVolumeId());
        if (required < 0 || limit < 0 || (limit != 0 && required > limit)) {
            created.expect(Status.Code.INVALID_ARGUMENT);
            return;
        }
        created.expectOneOf(Status.Code.OK, Status.Code.OUT_OF_RANGE, Status.Code.RESOURCE_EXHAUSTED);
        if (created.code != Status.Code.OK) {
            return;
        }
        Answer grown = call(() -> Long.toString(driver.controller().controllerExpandVolume(
                ControllerExpandVolumeRequest.newBuilder().setVolumeId(created.value).setCapacityRange(
                        CapacityRange.newBuilder().setRequiredBytes(grownRequired).setLimitBytes(grownLimit))
                        .build()).getCapacityBytes()));
        if (grownRequired < 0 || grownLimit < 0 || (grownLimit != 0 && grownRequired > grownLimit)) {
            grown.expect(Status.Code.INVALID_ARGUMENT);
        } else {
            grown.expectOneOf(Status.Code.OK, Status.Code.OUT_OF_RANGE, Status.Code.RESOURCE_EXHAUSTED);
        }
        deleteVolume(created.value);
    }

    @Provide
    Arbitrary<Long> bytes() {
        long gib = 1L << 30;
        return Arbitraries.oneOf(
                Arbitraries.longs(),
                Arbitraries.longs().between(-1, 8 * gib),
                Arbitraries.of(0L, -1L, 1L, 4095L, 4096L, 4097L, 1L << 20, (1L << 20) + 1, 8L << 20, 300L << 20,
                        4 * gib, 4 * gib + 1, Long.MAX_VALUE, Long.MAX_VALUE - 1, Long.MAX_VALUE - (1L << 20),
                        Long.MIN_VALUE));
    }

    // Volume and snapshot ids.

    enum IdCall {
        DELETE_VOLUME, VALIDATE, CONTROLLER_EXPAND, CREATE_SNAPSHOT, CLONE, RESTORE, DELETE_SNAPSHOT,
        LIST_SNAPSHOTS_BY_ID, LIST_SNAPSHOTS_BY_SOURCE, NODE_STAGE, NODE_UNSTAGE, NODE_PUBLISH, NODE_UNPUBLISH,
        NODE_STATS, NODE_EXPAND
    }

    @Property(shrinking = ShrinkingMode.BOUNDED)
    void craftedIdsNeverReachOutside(@ForAll("ids") String rawId, @ForAll IdCall rpc) {
        String id = wireString(rawId);
        if (realIds.contains(id)) {
            return;
        }
        String staging = publish.resolve("ids/staging").toString();
        String target = publish.resolve("ids/target").toString();
        Answer answer = switch (rpc) {
            case DELETE_VOLUME -> call(() -> driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder()
                    .setVolumeId(id).build()));
            case VALIDATE -> call(() -> driver.controller().validateVolumeCapabilities(
                    ValidateVolumeCapabilitiesRequest.newBuilder().setVolumeId(id)
                            .addVolumeCapabilities(Csi.mount("")).build()));
            case CONTROLLER_EXPAND -> call(() -> driver.controller().controllerExpandVolume(
                    ControllerExpandVolumeRequest.newBuilder().setVolumeId(id)
                            .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(1L << 30)).build()));
            case CREATE_SNAPSHOT -> call(() -> driver.controller().createSnapshot(CreateSnapshotRequest.newBuilder()
                    .setName("of-crafted").setSourceVolumeId(id).build()));
            case CLONE -> call(() -> driver.controller().createVolume(Csi.create("clone-of-crafted", 0, "dir",
                    Csi.mount("")).toBuilder().setVolumeContentSource(VolumeContentSource.newBuilder()
                    .setVolume(VolumeContentSource.VolumeSource.newBuilder().setVolumeId(id))).build()));
            case RESTORE -> call(() -> driver.controller().createVolume(Csi.create("restore-of-crafted", 0, "dir",
                    Csi.mount("")).toBuilder().setVolumeContentSource(VolumeContentSource.newBuilder()
                    .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId(id))).build()));
            case DELETE_SNAPSHOT -> call(() -> driver.controller().deleteSnapshot(DeleteSnapshotRequest.newBuilder()
                    .setSnapshotId(id).build()));
            case LIST_SNAPSHOTS_BY_ID -> call(() -> driver.controller().listSnapshots(ListSnapshotsRequest
                    .newBuilder().setSnapshotId(id).build()));
            case LIST_SNAPSHOTS_BY_SOURCE -> call(() -> driver.controller().listSnapshots(ListSnapshotsRequest
                    .newBuilder().setSourceVolumeId(id).build()));
            case NODE_STAGE -> call(() -> driver.node().nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                    .setVolumeId(id).setStagingTargetPath(staging).setVolumeCapability(Csi.mount("")).build()));
            case NODE_UNSTAGE -> call(() -> driver.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                    .setVolumeId(id).setStagingTargetPath(staging).build()));
            case NODE_PUBLISH -> call(() -> driver.node().nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                    .setVolumeId(id).setStagingTargetPath(staging).setTargetPath(target)
                    .setVolumeCapability(Csi.mount("")).build()));
            case NODE_UNPUBLISH -> call(() -> driver.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest
                    .newBuilder().setVolumeId(id).setTargetPath(target).build()));
            case NODE_STATS -> call(() -> driver.node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                    .setVolumeId(id).setVolumePath(publish.toString() + "/ids").build()));
            case NODE_EXPAND -> call(() -> driver.node().nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                    .setVolumeId(id).setVolumePath(publish.toString() + "/ids").build()));
        };
        if (id.isEmpty()) {
            // A missing id is a missing field, whatever the call.
            if (rpc != IdCall.LIST_SNAPSHOTS_BY_ID && rpc != IdCall.LIST_SNAPSHOTS_BY_SOURCE) {
                answer.expect(Status.Code.INVALID_ARGUMENT);
            }
            return;
        }
        switch (rpc) {
            // The spec: deleting what does not exist is OK; an id of ours on a node or disk (or export) this
            // driver does not serve is refused, so that nothing is forgotten that still holds data.
            case DELETE_VOLUME -> answer.expectOneOf(Status.Code.OK, Status.Code.FAILED_PRECONDITION);
            case DELETE_SNAPSHOT, LIST_SNAPSHOTS_BY_ID, LIST_SNAPSHOTS_BY_SOURCE -> answer.expect(Status.Code.OK);
            case VALIDATE, CONTROLLER_EXPAND, CREATE_SNAPSHOT, NODE_PUBLISH -> answer.expectOneOf(
                    Status.Code.NOT_FOUND, Status.Code.FAILED_PRECONDITION);
            case CLONE, RESTORE -> answer.expectOneOf(Status.Code.NOT_FOUND, Status.Code.INVALID_ARGUMENT);
            case NODE_STAGE -> {
                // An NFS id names a directory on the export; one that exists there (not a volume, but inside the
                // export) can be staged, like any NFS id: it is unstaged again.
                answer.expectOneOf(Status.Code.NOT_FOUND, Status.Code.FAILED_PRECONDITION, Status.Code.OK);
                if (answer.code == Status.Code.OK) {
                    call(() -> driver.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                            .setVolumeId(id).setStagingTargetPath(staging).build())).expect(Status.Code.OK);
                }
            }
            // Undoing what was never done is OK (NFS unstage/unpublish need no volume); ours are looked up.
            case NODE_UNSTAGE, NODE_UNPUBLISH -> answer.expectOneOf(Status.Code.OK, Status.Code.NOT_FOUND);
            case NODE_STATS, NODE_EXPAND -> answer.expectOneOf(Status.Code.OK, Status.Code.NOT_FOUND);
        }
    }

    @Provide
    Arbitrary<String> ids() {
        Arbitrary<String> part = Arbitraries.oneOf(
                Arbitraries.of(InProcessDriver.NODE, "other-node", "d1", "d2", "nope", "..", ".", "../..",
                        "../../etc", "%2e%2e", "..%2f..", "evil-link", "", "a/b", "/etc", "\0", "x\0", "snapshots",
                        "volumes", "real-dir", "Test-Node", "D1", "..;", "a..", "a.-_", "x".repeat(130),
                        sentinel.path().toString(), "real", "real/nfs", "evil", "evil/x", ".ordinal",
                        ".ordinal/volumes", "/srv/k8s", "/srv/k8s/..", "/", "[::1]", SERVER, "other.example.com"),
                Arbitraries.strings().withChars("abc.-/:#%\0").ofMaxLength(12));
        Arbitrary<String> prefix = Arbitraries.of("local", "snap", "nfs", "nfs-snap", "LOCAL", "local ", "",
                "file", "local:", "nfs#");
        Arbitrary<String> separator = Arbitraries.of(":", "#", "/", "%3A", "::", ":#");
        Arbitrary<String> composed = Combinators.combine(prefix, separator, part.list().ofMinSize(1).ofMaxSize(4))
                .as((p, sep, parts) -> p + sep + String.join(sep, parts));
        Arbitrary<String> realLike = Arbitraries.of(
                "local:" + InProcessDriver.NODE + ":d1:", "local:other-node:d1:", "local:" + InProcessDriver.NODE
                        + ":nope:", "snap:" + InProcessDriver.NODE + ":d1:", "nfs#" + SERVER + "#" + SHARE + "#",
                "nfs-snap#" + SERVER + "#" + SHARE + "#", "nfs#other.example.com#/x#", "nfs#" + SERVER + "#/#")
                .flatMap(p -> part.map(s -> p + s));
        return Arbitraries.oneOf(composed, realLike, Arbitraries.strings().all().ofMaxLength(600));
    }

    // Staging and target paths.

    enum PathCall { STAGE, UNSTAGE, PUBLISH_TARGET, PUBLISH_STAGING, UNPUBLISH, STATS, EXPAND }

    /** A path and whether the driver may use it (absolute, normal, inside the publish root, through no link). */
    record RequestPath(String raw, boolean usable) {
    }

    @Property(shrinking = ShrinkingMode.BOUNDED)
    void pathsOutsideThePublishRootsAreRefused(@ForAll("paths") RequestPath path, @ForAll PathCall rpc) {
        String raw = path.raw();
        String staging = publish.resolve("paths/staging").toString();
        Answer answer = switch (rpc) {
            case STAGE -> call(() -> driver.node().nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                    .setVolumeId(dirVolume).setStagingTargetPath(raw).setVolumeCapability(Csi.mount("")).build()));
            case UNSTAGE -> call(() -> driver.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                    .setVolumeId(dirVolume).setStagingTargetPath(raw).build()));
            case PUBLISH_TARGET -> call(() -> driver.node().nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                    .setVolumeId(dirVolume).setStagingTargetPath(staging).setTargetPath(raw)
                    .setVolumeCapability(Csi.mount("")).build()));
            case PUBLISH_STAGING -> call(() -> driver.node().nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                    .setVolumeId(dirVolume).setStagingTargetPath(raw).setTargetPath(publish + "/paths/target")
                    .setVolumeCapability(Csi.mount("")).build()));
            case UNPUBLISH -> call(() -> driver.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                    .setVolumeId(dirVolume).setTargetPath(raw).build()));
            case STATS -> call(() -> driver.node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                    .setVolumeId(dirVolume).setVolumePath(raw).build()));
            case EXPAND -> call(() -> driver.node().nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                    .setVolumeId(dirVolume).setVolumePath(raw).build()));
        };
        if (!path.usable()) {
            answer.expect(Status.Code.INVALID_ARGUMENT);
            return;
        }
        switch (rpc) {
            case STAGE -> {
                answer.expectOneOf(Status.Code.OK, Status.Code.ALREADY_EXISTS);
                if (answer.code == Status.Code.OK) {
                    call(() -> driver.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                            .setVolumeId(dirVolume).setStagingTargetPath(raw).build())).expect(Status.Code.OK);
                }
            }
            case UNSTAGE -> answer.expect(Status.Code.OK);
            // Nothing is staged where the property looks: a publish has nothing to show.
            case PUBLISH_TARGET, PUBLISH_STAGING -> answer.expect(Status.Code.FAILED_PRECONDITION);
            // A directory that holds files is not removed (not ours to empty).
            case UNPUBLISH -> answer.expectOneOf(Status.Code.OK, Status.Code.FAILED_PRECONDITION);
            case STATS, EXPAND -> answer.expectOneOf(Status.Code.OK, Status.Code.NOT_FOUND);
        }
    }

    @Provide
    Arbitrary<RequestPath> paths() {
        // Bases inside the root (usable with a clean suffix) and outside it, or inside it through a link.
        Arbitrary<RequestPath> base = Arbitraries.of(
                new RequestPath(publish.toString(), true),
                new RequestPath(publish + "/deep/er", true),
                new RequestPath(root.path().toString(), true),
                new RequestPath(sentinel.path().toString(), false),
                new RequestPath(sentinel.path() + "/sub", false),
                new RequestPath("/etc", false),
                new RequestPath("/", false),
                new RequestPath("", false),
                new RequestPath("relative/dir", false),
                new RequestPath(publish + "/escape", false),
                new RequestPath(publish + "/escape/sub", false),
                new RequestPath(publish + "/escape-file", false),
                new RequestPath(root.path() + "/exports/e1/evil", false),
                // The driver's own data is inside the root in tests; a request may not name it.
                new RequestPath(root.path() + "/disks/d1", false),
                new RequestPath(root.path() + "/disks/d1/volumes", false),
                new RequestPath(root.path() + "/exports/e1", false),
                new RequestPath(root.path() + "/exports/e1/real/nfs", false),
                new RequestPath(root.path() + "/state", false),
                new RequestPath(root.path().getParent().toString(), false),
                new RequestPath(root.path() + "-sibling", false));
        Arbitrary<RequestPath> clean = Arbitraries.of("x", "a/b", "t-1", "with space", "\u00e9", "trailing/",
                "escape-not", "deep", "..\\..").map(s -> new RequestPath(s, true));
        Arbitrary<RequestPath> dirty = Arbitraries.of("..", "../..", ".", "a/../..", "a//b", "a/./b", "\0",
                "x\0y", "../" + sentinel.path().getFileName(), "a/..", "./x").map(s -> new RequestPath(s, false));
        Arbitrary<RequestPath> suffix = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, clean), net.jqwik.api.Tuple.of(2, dirty),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new RequestPath("", true))));
        Arbitrary<RequestPath> joined = Combinators.combine(base, suffix).as((b, s) -> {
            if (s.raw().isEmpty()) {
                // The root itself is no place for a mount; a directory inside it is.
                return new RequestPath(b.raw(), b.usable() && !b.raw().equals(root.path().toString()));
            }
            return new RequestPath(b.raw().isEmpty() ? s.raw() : b.raw() + "/" + s.raw(), b.usable() && s.usable());
        });
        Arbitrary<RequestPath> huge = Arbitraries.integers().between(4_100, 10_000)
                .map(n -> new RequestPath(publish + "/" + "a/".repeat(n / 2), false));
        return Arbitraries.oneOf(joined, joined, joined, huge,
                Arbitraries.strings().all().ofMaxLength(100).map(s -> new RequestPath(s, false))
                        .filter(p -> !p.raw().startsWith("/")));
    }

    // Mount flags and parameters.

    enum FlagCall { CREATE, VALIDATE, GET_CAPACITY, STAGE, PUBLISH }

    /** A mount flag and whether it is one option the driver may pass on. */
    record Flag(String text, boolean allowed) {
    }

    @Property(shrinking = ShrinkingMode.BOUNDED)
    void mountFlagsCannotInjectOptions(@ForAll("flagLists") List<Flag> flags, @ForAll FlagCall rpc) {
        VolumeCapability capability = Csi.mount("").toBuilder().setMount(VolumeCapability.MountVolume.newBuilder()
                .addAllMountFlags(flags.stream().map(Flag::text).toList())).build();
        String unknown = "local:" + InProcessDriver.NODE + ":d1:not-there";
        Answer answer = switch (rpc) {
            case CREATE -> call(() -> driver.controller().createVolume(wire(Csi.create("flags", 0, "dir",
                    capability))).getVolume().getVolumeId());
            case VALIDATE -> call(() -> driver.controller().validateVolumeCapabilities(
                    wire(ValidateVolumeCapabilitiesRequest.newBuilder().setVolumeId(dirVolume)
                            .addVolumeCapabilities(capability).build())));
            case GET_CAPACITY -> call(() -> driver.controller().getCapacity(wire(GetCapacityRequest.newBuilder()
                    .addVolumeCapabilities(capability).build())));
            case STAGE -> call(() -> driver.node().nodeStageVolume(wire(NodeStageVolumeRequest.newBuilder()
                    .setVolumeId(unknown).setStagingTargetPath(publish + "/flags/staging")
                    .setVolumeCapability(capability).build())));
            case PUBLISH -> call(() -> driver.node().nodePublishVolume(wire(NodePublishVolumeRequest.newBuilder()
                    .setVolumeId(unknown).setStagingTargetPath(publish + "/flags/staging")
                    .setTargetPath(publish + "/flags/target").setVolumeCapability(capability).build())));
        };
        if (flags.stream().anyMatch(f -> !f.allowed())) {
            answer.expect(Status.Code.INVALID_ARGUMENT);
            assertFalse(flags.stream().filter(f -> !f.allowed() && f.text().length() > 3)
                    .anyMatch(f -> answer.message.contains(f.text()) && f.text().contains("=")),
                    "a refused option's value is repeated in the message: " + answer.message);
            return;
        }
        switch (rpc) {
            case CREATE -> {
                answer.expect(Status.Code.OK);
                deleteVolume(answer.value);
            }
            case VALIDATE, GET_CAPACITY -> answer.expect(Status.Code.OK);
            case STAGE, PUBLISH -> answer.expect(Status.Code.NOT_FOUND);
        }
    }

    @Provide
    Arbitrary<List<Flag>> flagLists() {
        Arbitrary<Flag> good = Arbitraries.of("noatime", "nodiratime", "nosuid", "nodev", "noexec", "sync",
                "relatime", "lazytime", "commit=30", "data=ordered").map(f -> new Flag(f, true));
        Arbitrary<Flag> bad = Arbitraries.of("noatime,suid", "ro,rw", "rw,remount", "remount", "bind", "rbind",
                "move", "suid", "dev", "SUID", "Bind", "loop", "loop=/dev/loop0", "offset=4096", "sizelimit=1",
                "x-mount.subdir=../..", "X-mount.mkdir", "helper=/bin/sh", "-o", "--bind", "-oremount", "", " ",
                "noatime suid", "a\tb", "x\0y", "x\ny", "shared", "rshared", "make-shared", "=x", ".hidden",
                "a".repeat(65), "nfsvers=4.1,hard", "uid=0,gid=0", "$(reboot)", "`id`", "a;b", "a|b", "a&b",
                "context=\"x\"", "errors=panic").map(f -> new Flag(f, false));
        Arbitrary<Flag> random = Arbitraries.strings().withChars("abcz019=_.:+-, \t/\0\"'$;").ofMaxLength(20)
                .map(s -> new Flag(s, false)).filter(f -> !f.text().matches("[A-Za-z0-9][A-Za-z0-9_.=:+-]{0,63}"));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, good), net.jqwik.api.Tuple.of(2, bad),
                net.jqwik.api.Tuple.of(1, random)).list().ofMaxSize(4);
    }

    /** NFS StorageClass parameters and claim metadata; usable only when every part is. */
    record Parameters(Map<String, String> map, boolean usable) {
    }

    @Property(shrinking = ShrinkingMode.BOUNDED)
    void parametersCannotLeaveTheExportOrInjectOptions(@ForAll("nfsParameters") Parameters parameters) {
        CreateVolumeRequest request = wire(CreateVolumeRequest.newBuilder().setName("nfs-parameters")
                .addVolumeCapabilities(Csi.mount("")).putAllParameters(parameters.map()).build());
        Answer created = call(() -> driver.controller().createVolume(request).getVolume().getVolumeId());
        Answer capacity = call(() -> driver.controller().getCapacity(GetCapacityRequest.newBuilder()
                .putAllParameters(parameters.map()).build()));
        if (!parameters.usable()) {
            created.expect(Status.Code.INVALID_ARGUMENT);
            return;
        }
        created.expect(Status.Code.OK);
        capacity.expect(Status.Code.OK);
        deleteVolume(created.value);
    }

    @Provide
    Arbitrary<Parameters> nfsParameters() {
        Arbitrary<Map.Entry<String, Boolean>> server = Arbitraries.of(Map.entry(SERVER, true),
                Map.entry("evil;rm -rf /", false), Map.entry("-oremount", false), Map.entry("a,b", false),
                Map.entry("..", false), Map.entry("[::1", false), Map.entry("", false),
                Map.entry(SERVER + ":/x", false), Map.entry("other.example.com", false));
        Arbitrary<Map.Entry<String, Boolean>> share = Arbitraries.of(Map.entry(SHARE, true),
                Map.entry(SHARE + "/", true), Map.entry(SHARE + "/..", false), Map.entry("../etc", false),
                Map.entry(SHARE + ",ro", false), Map.entry("", false), Map.entry("/srv//k8s", false),
                Map.entry("/srv/./k8s", false), Map.entry("/", false));
        Arbitrary<Map.Entry<String, Boolean>> subDir = Arbitraries.of(Map.entry("gen/${pvc.metadata.name}", true),
                Map.entry("gen/fixed", true), Map.entry("../x", false), Map.entry("/abs", false),
                Map.entry("${unknown}", false), Map.entry(".ordinal/x", false), Map.entry(".ordinal", false),
                Map.entry("evil/x", false), Map.entry("evil", false), Map.entry("a/../../b", false),
                Map.entry("gen/${pvc.metadata.name", false), Map.entry("", false), Map.entry("a//b", false),
                Map.entry("gen/a b", false), Map.entry("gen/\0", false), Map.entry("x/".repeat(300), false),
                Map.entry("${pvc.metadata.namespace}/${pvc.metadata.name}", true));
        Arbitrary<Map.Entry<String, Boolean>> options = Arbitraries.of(Map.entry("", true),
                Map.entry("nfsvers=4.1,hard", true), Map.entry("nfsvers=4,,hard,", true), Map.entry("bind", false),
                Map.entry("remount", false), Map.entry("-o", false), Map.entry("a b", false),
                Map.entry("suid", false), Map.entry("x-foo", false), Map.entry("hard,rbind", false),
                Map.entry("user", false), Map.entry("helper=x", false), Map.entry("sec=sys\0", false));
        Arbitrary<Map.Entry<String, Boolean>> onDelete = Arbitraries.of(Map.entry("delete", true),
                Map.entry("retain", true), Map.entry("archive", true), Map.entry("rm", false),
                Map.entry("", false), Map.entry("DELETE;", false));
        Arbitrary<Map.Entry<String, Boolean>> claim = Arbitraries.of(Map.entry("web-0", true),
                Map.entry("../../etc", false), Map.entry("..", false), Map.entry("a/b", true),
                Map.entry(".ordinal", true), Map.entry("x\0", false));
        return Combinators.combine(server, share, subDir, options, onDelete, claim).as((sv, sh, sd, op, od, cl) -> {
            Map<String, String> map = new HashMap<>();
            map.put("server", sv.getKey());
            map.put("share", sh.getKey());
            map.put("subDir", sd.getKey());
            map.put("mountOptions", op.getKey());
            map.put("onDelete", od.getKey());
            map.put("csi.storage.k8s.io/pvc/namespace", "ns");
            map.put("csi.storage.k8s.io/pvc/name", cl.getKey());
            map.put("csi.storage.k8s.io/pv/name", "pv-1");
            boolean claimUsed = sd.getKey().contains("${pvc.metadata.name}");
            return new Parameters(map, sv.getValue() && sh.getValue() && sd.getValue() && op.getValue()
                    && od.getValue() && (!claimUsed || cl.getValue()));
        });
    }

    // Listing, paging and capacity.

    @Property(shrinking = ShrinkingMode.BOUNDED)
    void tokensAndCapacityQueriesAreChecked(@ForAll("tokens") String token, @ForAll("maxEntries") int max,
            @ForAll("anyParameters") Map<String, String> parameters,
            @ForAll("anyParameters") Map<String, String> segments) {
        Answer volumes = call(() -> driver.controller().listVolumes(wire(ListVolumesRequest.newBuilder()
                .setStartingToken(token).setMaxEntries(max).build())));
        Answer snapshots = call(() -> driver.controller().listSnapshots(wire(ListSnapshotsRequest.newBuilder()
                .setStartingToken(token).setMaxEntries(max).build())));
        for (Answer answer : List.of(volumes, snapshots)) {
            if (max < 0) {
                answer.expect(Status.Code.INVALID_ARGUMENT);
            } else {
                answer.expectOneOf(Status.Code.OK, Status.Code.ABORTED);
            }
        }
        call(() -> driver.controller().getCapacity(wire(GetCapacityRequest.newBuilder()
                .putAllParameters(parameters).setAccessibleTopology(Topology.newBuilder().putAllSegments(segments))
                .build()))).expectOneOf(Status.Code.OK, Status.Code.INVALID_ARGUMENT);
    }

    @Provide
    Arbitrary<String> tokens() {
        return Arbitraries.oneOf(Arbitraries.strings().all().ofMaxLength(64),
                Arbitraries.strings().withChars("ABCabc012-_=+/").ofMaxLength(40),
                Arbitraries.of("", "!!", "bG9jYWw6", "Li4vLi4vZXRj", "AA", "=", "%00"));
    }

    @Provide
    Arbitrary<Integer> maxEntries() {
        return Arbitraries.oneOf(Arbitraries.integers(), Arbitraries.of(0, 1, -1, Integer.MAX_VALUE,
                Integer.MIN_VALUE));
    }

    @Provide
    Arbitrary<Map<String, String>> anyParameters() {
        Arbitrary<String> key = Arbitraries.oneOf(Arbitraries.of("layout", "fitPolicy", "spread", "server", "share",
                "subDir", "csi.storage.k8s.io/pvc/name", "topology.ordinal.csi.dev/node", "", "\0"),
                Arbitraries.strings().all().ofMaxLength(20));
        Arbitrary<String> value = Arbitraries.oneOf(Arbitraries.of("image", "dir", "subvolume", "lvm", "binpack",
                "spread", "node/hard", "zone/soft", "none", "", "..", SERVER, SHARE, "-o", "a,b", "\0"),
                Arbitraries.strings().all().ofMaxLength(20));
        return Arbitraries.maps(key, value).ofMaxSize(3);
    }

    // Helpers.

    private static void deleteVolume(String id) {
        call(() -> driver.controller().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build()))
                .expect(Status.Code.OK);
    }

    /** What the request becomes on the wire: a real socket carries UTF-8, so lone surrogates become '?'. */
    @SuppressWarnings("unchecked")
    private static <T extends Message> T wire(T message) {
        try {
            return (T) message.getParserForType().parseFrom(message.toByteArray());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String wireString(String s) {
        return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    /** One call's outcome: OK with a value, or a status; UNKNOWN and INTERNAL fail at once. */
    private static final class Answer {
        final Status.Code code;
        final String message;
        final String value;

        Answer(Status.Code code, String message, String value) {
            this.code = code;
            this.message = message;
            this.value = value;
        }

        Answer expect(Status.Code expected) {
            assertEquals(expected, code, () -> "answered " + code + ": " + message);
            return this;
        }

        void expectOneOf(Status.Code... expected) {
            assertTrue(Stream.of(expected).anyMatch(c -> c == code), () -> "answered " + code + " (" + message
                    + "), expected one of " + List.of(expected));
        }

        void then(java.util.function.Consumer<String> next) {
            next.accept(value);
        }
    }

    private static Answer call(java.util.function.Supplier<Object> rpc) {
        REQUESTS.incrementAndGet();
        try {
            Object result = rpc.get();
            return new Answer(Status.Code.OK, "", result instanceof String s ? s : String.valueOf(result));
        } catch (StatusRuntimeException e) {
            Status status = e.getStatus();
            assertFalse(NEVER.contains(status.getCode()), () -> "bad input answered " + status.getCode() + ": "
                    + status.getDescription());
            assertTrue(status.getDescription() != null && !status.getDescription().isBlank(),
                    () -> status.getCode() + " without a message");
            return new Answer(status.getCode(), status.getDescription(), null);
        }
    }

    private static Answer call(Runnable rpc) {
        return call(() -> {
            rpc.run();
            return "";
        });
    }
}
