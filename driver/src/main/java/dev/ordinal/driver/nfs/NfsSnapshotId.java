package dev.ordinal.driver.nfs;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The CSI snapshot_id of an NFS snapshot: {@code nfs-snap#<server>#<share>#<name>}. The snapshot lives on the
 * export in {@code .ordinal/snapshots/<name>/}; the prefix keeps snapshot and volume ids apart, so a snapshot id
 * can never be used as a volume and the other way round.
 */
public record NfsSnapshotId(String server, String share, String name) implements Comparable<NfsSnapshotId> {

    public static final String PREFIX = "nfs-snap#";
    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,127}");

    public NfsSnapshotId {
        if (!NfsVolumeId.validServer(server) || !NfsVolumeId.validShare(share) || !validName(name)) {
            throw new IllegalArgumentException("invalid NFS snapshot id parts: " + server + " " + share + " " + name);
        }
    }

    public static Optional<NfsSnapshotId> parse(String raw) {
        if (raw == null || !raw.startsWith(PREFIX) || raw.length() > 1024) {
            return Optional.empty();
        }
        String[] p = raw.substring(PREFIX.length()).split("#", -1);
        if (p.length != 3 || !NfsVolumeId.validServer(p[0]) || !NfsVolumeId.validShare(p[1]) || !validName(p[2])) {
            return Optional.empty();
        }
        return Optional.of(new NfsSnapshotId(p[0], p[1], p[2]));
    }

    private static boolean validName(String name) {
        return name != null && NAME.matcher(name).matches() && !name.equals(".") && !name.contains("..");
    }

    public NfsExport.Key export() {
        return new NfsExport.Key(server, share);
    }

    @Override
    public String toString() {
        return PREFIX + server + "#" + share + "#" + name;
    }

    @Override
    public int compareTo(NfsSnapshotId other) {
        return toString().compareTo(other.toString());
    }
}
