package dev.ordinal.driver.host;

import dev.ordinal.driver.error.DriverError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds and runs every mount and unmount the node plugin makes at a staging or target path. The argument lists
 * are built here and nowhere else, so that what reaches mount(8) can be read (and tested) in one place; every one
 * runs through {@link Beneath}, so no path is followed through a link.
 */
public final class Mounter {

    private Mounter() {
    }

    /**
     * Makes {@code source} (a directory, or a device node for block access) visible at {@code target}, which must
     * exist. Both are reached through no link (see {@link Beneath}); flags and {@code ro} are applied by a
     * remount of the new bind mount only.
     */
    public static void bind(RootedPath source, RootedPath target, boolean readOnly, List<String> flags) {
        checkMount("bind", "bind mount of " + source + " at " + target, bindArgs(source, target, readOnly, flags));
    }

    /** Mounts the filesystem on {@code device} at {@code target}, which must exist and is reached through no link. */
    public static void mount(Path device, RootedPath target, String fsType, boolean readOnly, List<String> flags) {
        checkMount("mount", "mount of " + device + " (" + fsType + ") at " + target,
                mountArgs(device, target, fsType, readOnly, flags));
    }

    /** Mounts {@code source} (an NFS {@code server:/path}) of {@code fsType} at {@code target} with {@code options}. */
    public static void mount(String source, RootedPath target, String fsType, List<String> options) {
        checkMount("mount", "mount of " + source + " (" + fsType + ") at " + target,
                Beneath.mountArgs(source, target, fsType, String.join(",", options)));
    }

    /**
     * Unmounts {@code expected}, the top mount at {@code target}; if another mount is there by the time the path
     * is walked, nothing is unmounted and the call fails with FAILED_PRECONDITION.
     */
    public static void unmount(RootedPath target, MountEntry expected) {
        try {
            Beneath.unmount(target, expected.id());
        } catch (DriverError e) {
            HostFailures.mountFailed("unmount");
            throw e;
        }
    }

    /** Runs a mount through {@link Beneath}; a failure is reported to {@link HostFailures}, then thrown. */
    private static void checkMount(String operation, String what, List<String> argv) {
        try {
            Beneath.call(what, argv);
        } catch (DriverError e) {
            HostFailures.mountFailed(operation);
            throw e;
        }
    }

    static List<String> bindArgs(RootedPath source, RootedPath target, boolean readOnly, List<String> flags) {
        // util-linux would turn "--bind -o ro" into a bind followed by a read-only remount of the bind only; the
        // helper does the same, the remount through the new mount it just checked.
        return Beneath.bindArgs(source, target, String.join(",", options(readOnly, flags)));
    }

    static List<String> mountArgs(Path device, RootedPath target, String fsType, boolean readOnly, List<String> flags) {
        return Beneath.mountArgs(device.toString(), target, fsType, String.join(",", options(readOnly, flags)));
    }

    /**
     * The flags, then {@code ro} last: mount(8) lets the last of {@code ro}/{@code rw} win, so a flag {@code rw}
     * placed after it would turn a read-only stage or publish into a writable one.
     */
    private static List<String> options(boolean readOnly, List<String> flags) {
        List<String> options = new ArrayList<>(flags);
        if (readOnly) {
            options.add("ro");
        }
        return options;
    }
}
