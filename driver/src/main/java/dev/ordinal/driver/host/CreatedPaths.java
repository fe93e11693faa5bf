package dev.ordinal.driver.host;

import dev.ordinal.driver.error.DriverError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Properties;

/**
 * What the node plugin created at a target path for a volume (the directory or block file the CSI spec makes the
 * plugin's to create and to delete), one small file per (volume, path) under {@code <state-dir>/created/}. An
 * unpublish removes a path only when a record says this volume's publish made it, and only if it is still that
 * very object (device and inode); anything else at the path is somebody else's and is left alone.
 *
 * <p>The record is written before the object is made ({@code inode} unknown, -1) and completed after, so that a
 * crash in between leaves a record, never an object nobody owns; a record without identity removes only an empty
 * object of its kind.
 */
public final class CreatedPaths {

    /** One record: {@code kind} is "dir" or "file"; {@code device}/{@code inode} are -1 until known. */
    public record Entry(String volumeId, Path path, String kind, long device, long inode) {
    }

    private final Path dir;

    public CreatedPaths(Path stateDir) {
        this.dir = stateDir.resolve("created");
    }

    public Optional<Entry> find(String volumeId, Path path) {
        try {
            return DurableFiles.readProperties(file(volumeId, path)).map(p -> new Entry(p.getProperty("volume"),
                    Path.of(p.getProperty("path")), p.getProperty("kind"), Long.parseLong(p.getProperty("device")),
                    Long.parseLong(p.getProperty("inode"))));
        } catch (IOException | RuntimeException e) {
            throw new DriverError.Internal("cannot read the record of what was created at " + path + ": "
                    + e.getMessage(), e);
        }
    }

    public void put(Entry entry) {
        Properties p = new Properties();
        p.setProperty("volume", entry.volumeId());
        p.setProperty("path", entry.path().toString());
        p.setProperty("kind", entry.kind());
        p.setProperty("device", Long.toString(entry.device()));
        p.setProperty("inode", Long.toString(entry.inode()));
        try {
            Files.createDirectories(dir);
            DurableFiles.writeProperties(file(entry.volumeId(), entry.path()), p, "created by ordinal for a volume");
        } catch (IOException e) {
            throw new DriverError.Internal("cannot record what is created at " + entry.path() + ": "
                    + e.getMessage(), e);
        }
    }

    public void forget(String volumeId, Path path) {
        try {
            Files.deleteIfExists(file(volumeId, path));
        } catch (IOException e) {
            throw new DriverError.Internal("cannot drop the record of " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Makes {@code kind} ("dir" or "file") at {@code path} for {@code volumeId}, recording it first, unless
     * something is there already. What was there before is not recorded: {@link #find} tells afterwards whether
     * the path is this volume's.
     */
    public Beneath.Made make(String volumeId, RootedPath path, String kind) {
        Optional<Entry> known = find(volumeId, path.path());
        if (known.isEmpty()) {
            put(new Entry(volumeId, path.path(), kind, -1, -1));
        }
        Beneath.Made made;
        try {
            made = kind.equals("dir") ? Beneath.makeDirectory(path) : Beneath.makeFile(path);
        } catch (DriverError e) {
            if (known.isEmpty()) {
                // Nothing was made (a link on the way, a failure): the intent must not claim the path later.
                forget(volumeId, path.path());
            }
            throw e;
        }
        if (made.created()) {
            put(new Entry(volumeId, path.path(), kind, made.device(), made.inode()));
        } else if (known.isEmpty() || known.get().inode() >= 0 && (known.get().device() != made.device()
                || known.get().inode() != made.inode())) {
            // It was there before this call, or replaced what we made: not ours to delete later.
            forget(volumeId, path.path());
        }
        return made;
    }

    /**
     * Removes what a publish of {@code volumeId} made at {@code target}, if anything, and only while it is still
     * that object and empty; something else now at the path stays. A non-empty object is refused: files written
     * into an unmounted target belong to whoever wrote them.
     */
    public void remove(String volumeId, RootedPath target) {
        Optional<Entry> made = find(volumeId, target.path());
        if (made.isEmpty()) {
            return;
        }
        Beneath.Removal removal = Beneath.remove(target, made.get().kind(), made.get().device(), made.get().inode());
        if (removal == Beneath.Removal.NOT_EMPTY) {
            throw new DriverError.FailedPrecondition("target path " + target
                    + " is not mounted but holds data; it was left in place");
        }
        // REMOVED, ABSENT, or FOREIGN (replaced by something not ours, which stays): nothing of ours is left.
        forget(volumeId, target.path());
    }

    private Path file(String volumeId, Path path) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] digest = sha.digest((volumeId + "\n" + path).getBytes(StandardCharsets.UTF_8));
            return dir.resolve(HexFormat.of().formatHex(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
