package dev.ordinal.driver.nfs;

import java.nio.file.Path;

/**
 * One NFS export and the directory where this process sees it: the controller's pod gets the export as a
 * standard {@code nfs:} volume (mounted by kubelet, so the controller needs no privileges), a node in
 * {@code bind} mode has it mounted at the same path (autofs, a host mount), and tests use a plain directory.
 * Configured as {@code server:/share=/local/path}.
 */
public record NfsExport(Key key, Path local) {

    /** The export as StorageClass parameters and volume ids name it. */
    public record Key(String server, String share) {
        @Override
        public String toString() {
            return server + ":" + share;
        }
    }

    public static NfsExport parse(String entry) {
        String text = entry.strip();
        int eq = text.indexOf('=');
        if (eq <= 0 || eq == text.length() - 1) {
            throw new IllegalArgumentException("ordinal.nfs.exports entry '" + entry
                    + "' is not server:/share=/local/path");
        }
        String remote = text.substring(0, eq);
        Path local = Path.of(text.substring(eq + 1).strip());
        int colon = remote.startsWith("[") ? remote.indexOf("]:") + 1 : remote.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("ordinal.nfs.exports entry '" + entry
                    + "' names no server:/share (an IPv6 server goes in brackets: [fd00::1]:/share)");
        }
        String server = remote.substring(0, colon);
        String share = remote.substring(colon + 1);
        if (share.length() > 1 && share.endsWith("/")) {
            share = share.substring(0, share.length() - 1);
        }
        if (!NfsVolumeId.validServer(server) || !NfsVolumeId.validShare(share)) {
            throw new IllegalArgumentException("ordinal.nfs.exports entry '" + entry + "': server must be a DNS "
                    + "name, an IPv4 address or [IPv6], share an absolute path without '.' or '..'");
        }
        if (!local.isAbsolute()) {
            throw new IllegalArgumentException("ordinal.nfs.exports entry '" + entry + "': the local path must be "
                    + "absolute");
        }
        return new NfsExport(new Key(server, share), local.normalize());
    }

    /** Where the driver keeps its own files on this export. */
    Path driverDir() {
        return local.resolve(NfsVolumeId.DRIVER_DIR);
    }

    Path volumesMetadataDir() {
        return driverDir().resolve("volumes");
    }

    Path snapshotsDir() {
        return driverDir().resolve("snapshots");
    }

    /** Intents of restores and clones in flight, see NfsStore.fill. */
    Path fillingDir() {
        return driverDir().resolve("filling");
    }

    @Override
    public String toString() {
        return key + "=" + local;
    }
}
