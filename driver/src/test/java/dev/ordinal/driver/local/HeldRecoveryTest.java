package dev.ordinal.driver.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.contract.claim.VolumeIdentity;
import dev.ordinal.driver.model.ClaimRef;
import dev.ordinal.driver.model.ContentSource;
import dev.ordinal.driver.model.HeldVolume;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.support.TestRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Crash points of holding, returning and purging a deleted volume (issue 23), on a real disk directory: each test
 * leaves the disk exactly as a crash at one point between the steps of {@link LocalVolumes#hold},
 * {@link LocalVolumes#restore} or {@link LocalVolumes#purge} leaves it (the steps before the point done with the
 * store's own writers, nothing after it), then starts a fresh store on the disk, as a restarted driver does, and
 * checks that recovery converges: the data is in exactly one place, whole, and nothing half-moved is left.
 */
class HeldRecoveryTest {

    private static final NodeName NODE = new NodeName("crash-node");
    private static final Instant HELD_AT = Instant.parse("2026-12-07T10:00:00Z");
    private static final Instant PURGE_AT = HELD_AT.plus(10, ChronoUnit.MINUTES);

    private TestRoot root;
    private LocalDisk disk;
    private VolumeRecord record;

    @BeforeEach
    void makeVolume() throws IOException {
        root = TestRoot.create("held-recovery");
        disk = DiskSetup.open(new DiskName("d1"), root.dir("disks/d1"), Optional.of(Capacity.ofMiB(256)), true);
        record = new VolumeRecord(new VolumeId(NODE.value(), "d1", "shop_data-web-1_0123456789ab"), "pvc-first",
                Layout.DIR, Capacity.ofMiB(16), false, "", Map.of("layout", "dir", "deleteGrace", "10m"),
                new ClaimRef("shop", "data-web-1", "pvc-first"), ContentSource.NONE, HELD_AT.minusSeconds(3600),
                Optional.of(new VolumeIdentity("shop", "web", "data", 1)));
        LocalVolumes volumes = store();
        volumes.create(record);
        Files.writeString(volumes.files(record.id()).data().resolve("ordinal.txt"), "ordinal one\n");
    }

    @AfterEach
    void removeRoot() {
        root.close();
    }

    @Test
    void aCrashAfterTheHoldRecordBeforeTheMoveFinishesTheHold() throws IOException {
        LocalVolumes before = store();
        MetadataFile.writeHold(before.files(record.id()).hold(), new MetadataFile.Hold(HELD_AT, PURGE_AT));

        LocalVolumes after = store();
        assertEquals(List.of(), after.recover(), "the volume's deletion had begun: it is no longer a volume");
        assertEquals(List.of(new HeldVolume(record, HELD_AT, PURGE_AT)), after.held());
        assertEquals("ordinal one\n", Files.readString(after.heldFiles(record.id()).data().resolve("ordinal.txt")));
        assertEquals(List.of(), entries(disk.volumesDir()));
    }

    @Test
    void aCrashWhileWritingTheHoldRecordLeavesTheVolumeLiveForTheRetriedDelete() throws IOException {
        LocalVolumes before = store();
        Path hold = before.files(record.id()).hold();
        byte[] whole = MetadataFile.sealed(new java.util.Properties(), "cut");
        Files.write(hold, Arrays.copyOf(whole, whole.length / 2));

        LocalVolumes after = store();
        assertEquals(List.of(record), after.recover());
        assertEquals(List.of(), after.held());
        assertFalse(Files.exists(hold), "the torn record is gone");
        // The CO retries DeleteVolume: the hold is made from the start.
        HeldVolume held = after.hold(record, HELD_AT, PURGE_AT);
        assertEquals(PURGE_AT, held.purgeAt());
        assertEquals(List.of(held), store().held());
    }

    @Test
    void aCrashAfterTheMoveIsAWholeHold() throws IOException {
        store().hold(record, HELD_AT, PURGE_AT);

        LocalVolumes after = store();
        assertEquals(List.of(), after.recover());
        assertEquals(List.of(new HeldVolume(record, HELD_AT, PURGE_AT)), after.held());
        // A retried DeleteVolume finds it held and changes nothing.
        assertEquals(new HeldVolume(record, HELD_AT, PURGE_AT), after.hold(record, HELD_AT.plusSeconds(5),
                PURGE_AT.plusSeconds(5)));
    }

    @Test
    void aCrashInAReturnBeforeTheHoldRecordWentLeavesItHeldAndTheRetryBringsItBack() throws IOException {
        store().hold(record, HELD_AT, PURGE_AT);
        VolumeRecord wanted = returned();
        LocalVolumes before = store();
        MetadataFile.write(before.heldFiles(record.id()).metadata(), wanted);

        LocalVolumes after = store();
        assertEquals(List.of(), after.recover());
        assertEquals(List.of(new HeldVolume(wanted, HELD_AT, PURGE_AT)), after.held(),
                "still held, under the name the return was writing");
        assertEquals(wanted, after.restore(after.held().get(0), wanted));
        assertEquals(List.of(wanted), store().recover());
        assertEquals("ordinal one\n", Files.readString(after.files(record.id()).data().resolve("ordinal.txt")));
    }

    @Test
    void aCrashInAReturnAfterTheHoldRecordWentFinishesTheReturn() throws IOException {
        store().hold(record, HELD_AT, PURGE_AT);
        VolumeRecord wanted = returned();
        LocalVolumes before = store();
        MetadataFile.write(before.heldFiles(record.id()).metadata(), wanted);
        Files.delete(before.heldFiles(record.id()).hold());

        LocalVolumes after = store();
        assertEquals(List.of(wanted), after.recover());
        assertEquals(List.of(), after.held());
        assertEquals(List.of(), entries(disk.heldDir()));
        assertEquals("ordinal one\n", Files.readString(after.files(record.id()).data().resolve("ordinal.txt")));
        // The retried CreateVolume finds it back already.
        assertEquals(wanted, after.restore(new HeldVolume(record, HELD_AT, PURGE_AT), wanted));
    }

    @Test
    void aCrashInAPurgeFinishesThePurgeAndLeavesNothing() throws IOException {
        LocalVolumes before = store();
        before.hold(record, HELD_AT, PURGE_AT);
        Path held = before.heldFiles(record.id()).dir();
        Files.move(held, held.resolveSibling(LocalVolumes.DELETING + held.getFileName()));

        LocalVolumes after = store();
        assertEquals(List.of(), after.recover());
        assertEquals(List.of(), after.held());
        assertEquals(List.of(), entries(disk.heldDir()));
        assertEquals(List.of(), entries(disk.volumesDir()));
    }

    @Test
    void aPurgeRemovesTheDataAndARetriedPurgeIsFine() throws IOException {
        LocalVolumes volumes = store();
        HeldVolume held = volumes.hold(record, HELD_AT, PURGE_AT);
        volumes.purge(held);
        volumes.purge(held);
        assertEquals(List.of(), entries(disk.heldDir()));
        assertEquals(List.of(), store().held());
    }

    private VolumeRecord returned() {
        return new VolumeRecord(record.id(), "pvc-again", Layout.DIR, Capacity.ofMiB(32), false, "",
                Map.of("layout", "dir", "deleteGrace", "10m"), new ClaimRef("shop", "data-web-1", "pvc-again"),
                ContentSource.NONE, HELD_AT.plusSeconds(60), record.identity());
    }

    private LocalVolumes store() {
        return new LocalVolumes(NODE, List.of(disk));
    }

    private static List<Path> entries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> stream = Files.list(dir)) {
            return stream.toList();
        }
    }
}
