package dev.ordinal.driver.nfs;

import dev.ordinal.driver.host.Mounter;
import dev.ordinal.driver.host.RootedPath;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The one place where the NFS mount command is built: {@code mount -t nfs -o <options> -- server:/share/subdir
 * <staging>}. Options come in this order, each once: the StorageClass's {@code mountOptions} (where
 * {@code nfsvers=3}, {@code nfsvers=4.1}... choose the protocol), then the capability's mount flags (the
 * StorageClass's {@code mountOptions:} field), so a flag can override a parameter, and {@code ro} last for a
 * read-only capability, so nothing overrides that.
 */
public final class NfsMount {

    private NfsMount() {
    }

    public static List<String> argv(NfsVolumeId id, Path staging, List<String> parameterOptions,
            List<String> capabilityFlags, boolean readOnly) {
        List<String> options = options(parameterOptions, capabilityFlags, readOnly);
        List<String> argv = new ArrayList<>(List.of("mount", "-t", "nfs"));
        if (!options.isEmpty()) {
            argv.add("-o");
            argv.add(String.join(",", options));
        }
        argv.add("--");
        argv.add(id.mountSource());
        argv.add(staging.toString());
        return List.copyOf(argv);
    }

    static List<String> options(List<String> parameterOptions, List<String> capabilityFlags, boolean readOnly) {
        Set<String> options = new LinkedHashSet<>(parameterOptions);
        capabilityFlags.forEach(flag -> {
            NfsParameters.checkOption(flag);
            options.add(flag);
        });
        if (readOnly) {
            // Last, so that no "rw" among the options above can make a read-only volume writable (the last wins).
            options.remove("ro");
            options.add("ro");
        }
        return List.copyOf(options);
    }

    /** Mounts as {@link #argv} says, onto the staging directory reached through no link. */
    static void mount(NfsVolumeId id, RootedPath staging, List<String> parameterOptions, List<String> capabilityFlags,
            boolean readOnly) {
        Mounter.mount(id.mountSource(), staging, "nfs", options(parameterOptions, capabilityFlags, readOnly));
    }
}
