package dev.ordinal.driver.nfs;

import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.Copies;
import dev.ordinal.driver.host.DurableFiles;
import dev.ordinal.driver.host.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * Directory work on an export seen as a local path: where a subdirectory is (never outside the export, never
 * through a symbolic link), making, removing, archiving and copying trees. Shared by the controller half and
 * by the node half in {@code bind} mode.
 */
final class NfsStore {

    static final DateTimeFormatter ARCHIVE_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private NfsStore() {
    }

    /**
     * Why {@code subdir} would not be inside the export, or empty when it is: the export must exist, and every
     * part of the path that exists must be a real directory entry, not a symbolic link (one that points outside
     * is an escape; one that points inside would let a volume reach another's data or the driver's files).
     */
    static Optional<String> escape(NfsExport export, String subdir) {
        Path root;
        try {
            root = export.local().toRealPath();
        } catch (IOException e) {
            return Optional.of("export " + export.key() + " is not available at " + export.local() + ": " + e);
        }
        Path wanted = root.resolve(subdir).normalize();
        if (!wanted.startsWith(root) || wanted.equals(root)) {
            return Optional.of("subDir '" + subdir + "' is not below export " + export.key());
        }
        // The deepest part that exists decides: below it, mkdir makes plain directories.
        Path existing = wanted;
        while (!Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        Path real;
        try {
            real = existing.toRealPath();
        } catch (IOException e) {
            return Optional.of("subDir '" + subdir + "' passes through a symbolic link that points nowhere ("
                    + root.relativize(existing) + ")");
        }
        if (!real.equals(existing)) {
            return Optional.of("subDir '" + subdir + "' passes through a symbolic link"
                    + (real.startsWith(root) ? "" : " pointing outside export " + export.key()) + " ("
                    + root.relativize(existing) + " -> " + real + ")");
        }
        return Optional.empty();
    }

    /** The subdirectory's path, after {@link #escape} found nothing; {@code error} turns a finding into a failure. */
    static Path inside(NfsExport export, String subdir, java.util.function.Function<String, DriverError> error) {
        Optional<String> problem = escape(export, subdir);
        if (problem.isPresent()) {
            throw error.apply(problem.get());
        }
        try {
            return export.local().toRealPath().resolve(subdir);
        } catch (IOException e) {
            throw new DriverError.Internal("export " + export.key() + " vanished: " + e.getMessage(), e);
        }
    }

    static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new DriverError.Internal("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Removes a tree; links are removed, never followed. A tree that is gone already is fine. */
    static void remove(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Trees.deleteRecursively(root);
        } catch (IOException e) {
            throw new DriverError.Internal("cannot remove " + root + ": " + e.getMessage(), e);
        }
    }

    /**
     * Renames {@code dir} aside to {@code archived-<name>-<UTC time>} in its parent and returns the new path; a
     * directory that is gone already (a retry after the rename) is fine.
     */
    static Optional<Path> archive(Path dir, Instant now) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        String base = "archived-" + dir.getFileName() + "-" + ARCHIVE_TIME.format(now);
        Path target = dir.resolveSibling(base);
        for (int n = 2; Files.exists(target, LinkOption.NOFOLLOW_LINKS); n++) {
            target = dir.resolveSibling(base + "-" + n);
        }
        try {
            Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
            NfsMetadata.syncDirectory(dir.getParent());
            return Optional.of(target);
        } catch (IOException e) {
            throw new DriverError.Internal("cannot archive " + dir + " as " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * Copies a tree into {@code target} (which must not exist) through a temporary sibling, so that a copy cut
     * short is never taken for a whole one. cp keeps owners, modes, times and links, and shares extents where the
     * filesystem can.
     */
    static void copyTree(Path source, Path target) {
        Path partial = target.resolveSibling("." + target.getFileName() + ".ordinal-partial");
        remove(partial);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        createDirectories(target.getParent());
        Copies.tree(source, partial);
        try {
            // The copy's data on the server (fsync on NFS commits it) before its name says it is whole.
            DurableFiles.syncTree(partial);
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            NfsMetadata.syncDirectory(target.getParent());
        } catch (IOException e) {
            throw new DriverError.Internal("cannot move the copy of " + source + " to " + target + ": "
                    + e.getMessage(), e);
        }
    }

    /** A readable, unique directory name for a CSI name: cleaned, cut, and a hash of the whole. */
    static String directoryName(String csiName) {
        StringBuilder out = new StringBuilder();
        for (char c : csiName.toLowerCase(java.util.Locale.ROOT).toCharArray()) {
            boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
            out.append(ok ? c : '-');
        }
        String clean = out.toString().replace("..", "--");
        if (clean.isEmpty() || !Character.isLetterOrDigit(clean.charAt(0))) {
            clean = "s" + clean;
        }
        if (clean.length() > 80) {
            clean = clean.substring(0, 80);
        }
        return clean + "-" + NfsMetadata.hash(csiName, 12);
    }
}
