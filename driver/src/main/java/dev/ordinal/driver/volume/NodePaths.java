package dev.ordinal.driver.volume;

import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.RootedPath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/**
 * The only places where the node side mounts, creates or removes anything besides its disks: the kubelet's
 * directory (and, for the all-in-one job and tests, whatever other roots are configured). A path from a request
 * must be absolute, already normal (no "." or ".." parts) and inside one of them; it must not pass through a
 * symbolic link below the root, and must not be, contain or lie inside the driver's own data (its disks, NFS
 * exports and state directory), which the default all-in-one roots ({@code /tmp}) hold.
 */
public final class NodePaths {

    private final List<Path> roots;
    private final List<Path> reserved;

    public NodePaths(List<Path> roots) {
        this(roots, List.of());
    }

    /** {@code reserved}: directories of the driver's own data that no request may name, even inside a root. */
    public NodePaths(List<Path> roots, List<Path> reserved) {
        this.roots = roots.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        this.reserved = reserved.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    }

    public Path check(String field, String raw) {
        return resolve(field, raw).path();
    }

    /**
     * The checked path with the root it lies in: everything that changes the path walks it from that root through
     * no link ({@link dev.ordinal.driver.host.Beneath}), which closes the race the check below leaves open.
     */
    public RootedPath resolve(String field, String raw) {
        if (raw.isEmpty()) {
            throw new DriverError.InvalidArgument(field + " is required");
        }
        if (raw.indexOf('\0') >= 0 || raw.length() > 4096) {
            throw new DriverError.InvalidArgument(field + " is not a usable path");
        }
        Path path;
        try {
            path = Path.of(raw);
        } catch (InvalidPathException e) {
            throw new DriverError.InvalidArgument(field + " '" + raw + "' is not a path: " + e.getMessage());
        }
        if (!path.isAbsolute() || !path.normalize().toString().equals(stripTrailingSlash(raw))) {
            throw new DriverError.InvalidArgument(field + " '" + raw + "' must be an absolute path without '.' or "
                    + "'..' parts");
        }
        Path normal = path.normalize();
        for (Path root : roots) {
            if (normal.startsWith(root) && !normal.equals(root)) {
                requireNoLink(field, root, normal);
                requireNotReserved(field, normal);
                return new RootedPath(root, normal);
            }
        }
        throw new DriverError.InvalidArgument(field + " '" + raw + "' is outside the directories this node plugin "
                + "may use: " + roots);
    }

    /**
     * mkdir, mount(8) and unlink all follow symbolic links, so a link planted below a root (a pod can make one in
     * its emptyDir, under the kubelet's directory) would carry a lexically contained path anywhere on the host. The
     * deepest part of the path that exists must be exactly where the text says: its real path is the root's real
     * path plus the same names. A link swapped in after this check is refused by the walk every change makes (see docs/SECURITY.md).
     */
    private static void requireNoLink(String field, Path root, Path path) {
        Path existing = path;
        while (!existing.equals(root) && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        try {
            Path realRoot = Files.exists(root) ? root.toRealPath() : root;
            Path expected = realRoot.resolve(root.relativize(existing).toString());
            if (!existing.toRealPath().equals(expected)) {
                throw new DriverError.InvalidArgument(field + " '" + path + "' passes through a symbolic link ("
                        + existing + "); the node plugin never follows links out of " + root);
            }
        } catch (IOException e) {
            // A dangling link, or a part that vanished: neither is a directory this plugin may use.
            throw new DriverError.InvalidArgument(field + " '" + path + "' passes through a symbolic link or a "
                    + "part that cannot be resolved (" + existing + ": " + e.getMessage() + ")");
        }
    }

    /** The driver's disks, exports and state are never a staging or target path, nor above or below one. */
    private void requireNotReserved(String field, Path path) {
        for (Path own : reserved) {
            if (path.startsWith(own) || own.startsWith(path)) {
                throw new DriverError.InvalidArgument(field + " '" + path + "' is " + (path.startsWith(own)
                        ? "inside" : "a parent of") + " " + own + ", which holds the driver's own data");
            }
        }
    }

    private static String stripTrailingSlash(String raw) {
        return raw.length() > 1 && raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw;
    }
}
