package dev.ordinal.driver.host;

import java.nio.file.Path;

/**
 * A path that must be reached from {@code root} through plain directories only: {@code root} is trusted (a
 * configured publish root, resolved once to its real path), everything below it is walked one name at a time and
 * never through a symbolic link (see {@link Beneath}). {@code path} is where it lies, {@code root} plus the names.
 */
public record RootedPath(Path root, Path path) {

    public RootedPath {
        root = root.toAbsolutePath().normalize();
        path = path.toAbsolutePath().normalize();
        if (!path.startsWith(root) || path.equals(root)) {
            throw new IllegalArgumentException(path + " is not below " + root);
        }
    }

    /** A path of the driver's own (a volume's data, a loop device node): only its last name is checked. */
    public static RootedPath own(Path path) {
        Path normal = path.toAbsolutePath().normalize();
        return new RootedPath(normal.getParent(), normal);
    }

    /** The names below the root, joined by '/'. */
    public String below() {
        return root.relativize(path).toString();
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
