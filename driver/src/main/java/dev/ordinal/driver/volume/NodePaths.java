package dev.ordinal.driver.volume;

import dev.ordinal.driver.error.DriverError;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/**
 * The only places where the node side mounts, creates or removes anything besides its disks: the kubelet's
 * directory (and, for the all-in-one job and tests, whatever other roots are configured). A path from a request
 * must be absolute, already normal (no "." or ".." parts) and inside one of them.
 */
public final class NodePaths {

    private final List<Path> roots;

    public NodePaths(List<Path> roots) {
        this.roots = roots.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    }

    public Path check(String field, String raw) {
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
                return normal;
            }
        }
        throw new DriverError.InvalidArgument(field + " '" + raw + "' is outside the directories this node plugin "
                + "may use: " + roots);
    }

    private static String stripTrailingSlash(String raw) {
        return raw.length() > 1 && raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw;
    }
}
