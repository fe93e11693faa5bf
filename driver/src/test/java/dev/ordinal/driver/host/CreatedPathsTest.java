package dev.ordinal.driver.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.support.TestRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What an unpublish may delete: only the object a publish of the same volume made at the same path, still that
 * object (device and inode) and empty, on a real filesystem; and the walk that makes and removes it follows no link.
 */
class CreatedPathsTest {

    private TestRoot root;
    private Path publishRoot;
    private CreatedPaths created;

    @BeforeEach
    void setUp() {
        root = TestRoot.create("created-paths");
        publishRoot = root.dir("kubelet");
        created = new CreatedPaths(root.dir("state"));
    }

    @AfterEach
    void tearDown() {
        root.close();
    }

    private RootedPath at(String below) {
        return new RootedPath(publishRoot, publishRoot.resolve(below));
    }

    @Test
    void whatAPublishMadeIsRemovedOnceAndOnlyForItsVolume() {
        RootedPath target = at("pods/p/volumes/v");
        assertTrue(created.make("vol-a", target, "dir").created());
        created.remove("vol-b", target);
        assertTrue(Files.isDirectory(target.path()), "another volume's unpublish leaves it");
        created.remove("vol-a", target);
        assertFalse(Files.exists(target.path()));
        created.remove("vol-a", target);
        assertTrue(Files.isDirectory(target.path().getParent()), "parents are not removed");
    }

    @Test
    void somethingThatReplacedWhatWasMadeStays() throws IOException {
        RootedPath target = at("t");
        created.make("vol-a", target, "dir");
        // Made while the original still exists, so it cannot reuse its inode number; then moved in its place.
        Path other = Files.createDirectory(publishRoot.resolve("other"));
        Files.delete(target.path());
        Files.move(other, target.path());
        created.remove("vol-a", target);
        assertTrue(Files.isDirectory(target.path()), "a new directory (another inode) is not ours");
        assertTrue(created.find("vol-a", target.path()).isEmpty(), "and the record is gone: nothing of ours is left");
    }

    @Test
    void somethingThatWasThereBeforeIsNotClaimed() throws IOException {
        RootedPath target = at("existing");
        Files.createDirectory(target.path());
        assertFalse(created.make("vol-a", target, "dir").created());
        assertTrue(created.find("vol-a", target.path()).isEmpty());
        created.remove("vol-a", target);
        assertTrue(Files.isDirectory(target.path()));
    }

    @Test
    void whatWasMadeButHoldsDataIsRefusedAndKept() throws IOException {
        RootedPath dir = at("d");
        created.make("vol-a", dir, "dir");
        Files.writeString(dir.path().resolve("written-while-unmounted"), "keep");
        assertThrows(DriverError.FailedPrecondition.class, () -> created.remove("vol-a", dir));
        RootedPath file = at("block");
        assertTrue(created.make("vol-a", file, "file").created());
        Files.writeString(file.path(), "keep");
        assertThrows(DriverError.FailedPrecondition.class, () -> created.remove("vol-a", file));
        assertEquals("keep", Files.readString(file.path()));
    }

    @Test
    void aRecordFromACrashBeforeTheCreateRemovesOnlyAnEmptyObjectOfItsKind() throws IOException {
        RootedPath target = at("crashed");
        created.put(new CreatedPaths.Entry("vol-a", target.path(), "dir", -1, -1));
        Files.writeString(target.path(), "a file, not the directory the record is for");
        created.remove("vol-a", target);
        assertTrue(Files.isRegularFile(target.path()));
        Files.delete(target.path());
        created.put(new CreatedPaths.Entry("vol-a", target.path(), "dir", -1, -1));
        // The retried publish finds the record and goes on; the directory it then makes is its own.
        assertTrue(created.make("vol-a", target, "dir").created());
        assertTrue(created.find("vol-a", target.path()).orElseThrow().inode() > 0);
    }

    @Test
    void noPartOfThePathIsFollowedThroughALinkNorIsARecordLeftBehind() throws IOException {
        Path outside = root.dir("outside");
        Files.createSymbolicLink(publishRoot.resolve("link"), outside);
        RootedPath through = at("link/t");
        assertThrows(DriverError.InvalidArgument.class, () -> created.make("vol-a", through, "dir"));
        assertFalse(Files.exists(outside.resolve("t")));
        assertTrue(created.find("vol-a", through.path()).isEmpty());
        Files.createSymbolicLink(publishRoot.resolve("last"), outside);
        assertEquals("link", Beneath.stat(at("last")).kind());
        assertFalse(created.make("vol-a", at("last"), "dir").created());
        assertEquals(Beneath.Removal.FOREIGN, Beneath.remove(at("last"), "dir", -1, -1));
        assertTrue(Files.isSymbolicLink(publishRoot.resolve("last")));
    }
}
