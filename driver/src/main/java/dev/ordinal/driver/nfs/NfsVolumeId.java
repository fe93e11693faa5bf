package dev.ordinal.driver.nfs;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The CSI volume_id of an NFS volume: {@code nfs#<server>#<share>#<subdir>}, as csi-driver-nfs spells it ('#'
 * separates because an IPv6 server contains ':'). Every part is checked against a strict pattern, so an id crafted
 * to point elsewhere ({@code ..}, an absolute subdir, the driver's own {@code .ordinal} directory) never becomes a
 * path. Such ids can be longer than the spec's 128-byte guidance when the subDir template is long, as with
 * csi-driver-nfs; Kubernetes accepts them.
 */
public record NfsVolumeId(String server, String share, String subdir) implements Comparable<NfsVolumeId> {

    public static final String PREFIX = "nfs#";
    /** A DNS name, an IPv4 address, or an IPv6 address in brackets. */
    static final Pattern SERVER = Pattern.compile(
            "[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]{2,45}\\]");
    /** An absolute path of plain segments: no '.' or '..' segment, no empty segment, no trailing slash. */
    static final Pattern SHARE = Pattern.compile("/|(/[A-Za-z0-9._-]+){1,32}");
    /** A relative path of plain segments; '.' and '..' segments are refused separately. */
    static final Pattern SUBDIR = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+){0,31}");
    static final int MAX_SUBDIR = 512;
    /** Where the driver keeps its metadata and snapshots on every export; never a volume. */
    static final String DRIVER_DIR = ".ordinal";

    public NfsVolumeId {
        if (!validServer(server) || !validShare(share) || !validSubdir(subdir)) {
            throw new IllegalArgumentException("invalid NFS volume id parts: " + server + " " + share + " " + subdir);
        }
    }

    /** Parses an id this driver made; anything else (another driver's, malformed, crafted) is empty. */
    public static Optional<NfsVolumeId> parse(String raw) {
        if (raw == null || !raw.startsWith(PREFIX) || raw.length() > 1024) {
            return Optional.empty();
        }
        String[] p = raw.substring(PREFIX.length()).split("#", -1);
        if (p.length != 3 || !validServer(p[0]) || !validShare(p[1]) || !validSubdir(p[2])) {
            return Optional.empty();
        }
        return Optional.of(new NfsVolumeId(p[0], p[1], p[2]));
    }

    static boolean validServer(String server) {
        return server != null && SERVER.matcher(server).matches();
    }

    static boolean validShare(String share) {
        return share != null && SHARE.matcher(share).matches() && plainSegments(share.substring(1));
    }

    static boolean validSubdir(String subdir) {
        return subdir != null && subdir.length() <= MAX_SUBDIR && SUBDIR.matcher(subdir).matches()
                && plainSegments(subdir) && !subdir.split("/")[0].equals(DRIVER_DIR);
    }

    /** No segment is '.' or '..' (the patterns admit dots inside names). */
    private static boolean plainSegments(String path) {
        if (path.isEmpty()) {
            return true;
        }
        for (String segment : path.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        return true;
    }

    public NfsExport.Key export() {
        return new NfsExport.Key(server, share);
    }

    /** The source mount(8) is given: {@code server:/share/subdir}. */
    public String mountSource() {
        return server + ":" + (share.equals("/") ? "" : share) + "/" + subdir;
    }

    @Override
    public String toString() {
        return PREFIX + server + "#" + share + "#" + subdir;
    }

    @Override
    public int compareTo(NfsVolumeId other) {
        return toString().compareTo(other.toString());
    }
}
