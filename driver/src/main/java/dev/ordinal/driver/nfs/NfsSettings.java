package dev.ordinal.driver.nfs;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;

/**
 * The NFS backend's settings: the exports and where this process sees them ({@code ordinal.nfs.exports}), how the
 * node stages ({@code ordinal.nfs.node-mount}), where the node keeps its small state ({@code ordinal.state-dir}),
 * and the bounds of the usage walk. {@code usageWalker} runs the walks; null means the backend's own thread.
 */
public record NfsSettings(List<NfsExport> exports, NodeMount nodeMount, Path stateDir, UsageCache.Limits usage,
        Executor usageWalker) {

    /** How NodeStageVolume makes the volume's directory appear at the staging path. */
    public enum NodeMount {
        /** {@code mount -t nfs server:/share/subdir staging} (the node needs an NFS client). */
        NFS,
        /** A bind mount of {@code <local path of the export>/<subdir>}: the node has the export mounted already. */
        BIND;

        public static NodeMount parse(String value) {
            try {
                return valueOf(value.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("ordinal.nfs.node-mount=" + value + " is not nfs or bind");
            }
        }
    }

    public NfsSettings {
        exports = List.copyOf(exports);
    }

    /** No exports: NFS is opt-in; CreateVolume for a server is then refused naming the setting. */
    public static NfsSettings none(Path stateDir) {
        return new NfsSettings(List.of(), NodeMount.NFS, stateDir, UsageCache.Limits.DEFAULT, null);
    }

    public static List<NfsExport> parseExports(List<String> entries) {
        return entries.stream().filter(e -> !e.isBlank()).map(NfsExport::parse).toList();
    }
}
