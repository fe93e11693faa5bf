package dev.ordinal.driver.host;

import dev.ordinal.driver.error.DriverError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds and runs every mount and unmount the driver makes. The argument lists are built here and nowhere else,
 * so that what reaches mount(8) can be read (and tested) in one place.
 */
public final class Mounter {

    private Mounter() {
    }

    /** Makes {@code source} (a directory, or a device node for block access) visible at {@code target}. */
    public static void bind(Path source, Path target, boolean readOnly, List<String> flags) {
        checkMount("bind", "bind mount of " + source + " at " + target, bindArgs(source, target, readOnly, flags));
    }

    /** Mounts the filesystem on {@code device} at {@code target}. */
    public static void mount(Path device, Path target, String fsType, boolean readOnly, List<String> flags) {
        checkMount("mount", "mount of " + device + " (" + fsType + ") at " + target,
                mountArgs(device, target, fsType, readOnly, flags));
    }

    /** Unmounts whatever is mounted at {@code target}; a target that is not a mount point is left alone. */
    public static void unmount(Path target) {
        if (!MountTable.read().isMountPoint(target)) {
            return;
        }
        // A path lookup in flight (another RPC checking the same path, kubelet's stat) pins the mount for a moment
        // and umount(2) answers EBUSY (found by RaceTest: publish and unpublish racing on one target answered
        // INTERNAL). A few short retries ride that out; a mount still busy after them is in real use.
        for (long pause = 5; pause <= 160; pause *= 2) {
            Command.Result result = Command.run("umount", "--", target.toString());
            if (result.ok() || !MountTable.read().isMountPoint(target)) {
                return;
            }
            if (!result.stderr().contains("busy")) {
                break;
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        checkMount("unmount", "unmount of " + target, List.of("umount", "--", target.toString()));
    }

    /** Runs a mount(8) or umount(8) command line; a failure is reported to {@link HostFailures}, then thrown. */
    private static void checkMount(String operation, String what, List<String> argv) {
        try {
            Command.check(what, argv.toArray(String[]::new));
        } catch (DriverError e) {
            HostFailures.mountFailed(operation);
            throw e;
        }
    }

    static List<String> bindArgs(Path source, Path target, boolean readOnly, List<String> flags) {
        List<String> argv = new ArrayList<>(List.of("mount", "--bind"));
        // util-linux turns "--bind -o ro" into a bind followed by a read-only remount of the bind only.
        List<String> options = options(readOnly, flags);
        if (!options.isEmpty()) {
            argv.add("-o");
            argv.add(String.join(",", options));
        }
        argv.add("--");
        argv.add(source.toString());
        argv.add(target.toString());
        return argv;
    }

    static List<String> mountArgs(Path device, Path target, String fsType, boolean readOnly, List<String> flags) {
        List<String> argv = new ArrayList<>(List.of("mount", "-t", fsType));
        List<String> options = options(readOnly, flags);
        if (!options.isEmpty()) {
            argv.add("-o");
            argv.add(String.join(",", options));
        }
        argv.add("--");
        argv.add(device.toString());
        argv.add(target.toString());
        return argv;
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
