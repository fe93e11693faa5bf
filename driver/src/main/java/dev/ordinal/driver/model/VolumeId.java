package dev.ordinal.driver.model;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The CSI volume_id: {@code local:<node>:<disk>:<name>}. It carries everything an RPC needs to find the volume
 * after a restart without a database. Every part is checked against a strict pattern so that an id crafted to
 * point elsewhere ({@code ..}, {@code /}, NUL) is never turned into a path.
 */
public record VolumeId(String node, String disk, String name) implements Comparable<VolumeId> {

    static final String BACKEND = "local";
    /** A Kubernetes node name: a lower-case DNS subdomain. */
    public static final Pattern NODE = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    /** A disk name from the driver's configuration: a DNS label. */
    public static final Pattern DISK = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    /** The volume's directory name on its disk: no separators, never "." or "..". */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,127}");

    public VolumeId {
        require(NODE, node, "node");
        require(DISK, disk, "disk");
        require(NAME, name, "name");
    }

    /** Parses an id made by this driver; anything else (another driver's, or crafted) is empty. */
    public static Optional<VolumeId> parse(String raw) {
        return parts(BACKEND, raw).map(p -> new VolumeId(p[1], p[2], p[3]));
    }

    /** Splits {@code <prefix>:<node>:<disk>:<name>} when every part matches its pattern (snapshot ids too). */
    static Optional<String[]> parts(String prefix, String raw) {
        if (raw == null || raw.length() > 512) {
            return Optional.empty();
        }
        String[] parts = raw.split(":", -1);
        if (parts.length != 4 || !parts[0].equals(prefix) || !NODE.matcher(parts[1]).matches()
                || !DISK.matcher(parts[2]).matches() || !NAME.matcher(parts[3]).matches()) {
            return Optional.empty();
        }
        return Optional.of(parts);
    }

    @Override
    public String toString() {
        return BACKEND + ":" + node + ":" + disk + ":" + name;
    }

    @Override
    public int compareTo(VolumeId other) {
        return toString().compareTo(other.toString());
    }

    static void require(Pattern pattern, String value, String what) {
        if (value == null || !pattern.matcher(value).matches()) {
            throw new IllegalArgumentException("invalid volume id " + what + ": " + value);
        }
    }
}
