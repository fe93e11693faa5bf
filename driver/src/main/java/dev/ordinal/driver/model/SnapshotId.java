package dev.ordinal.driver.model;

import java.util.Optional;

/**
 * The CSI snapshot_id: {@code snap:<node>:<disk>:<name>}. A snapshot lives on the disk of its source volume, so
 * the id says where, like a volume id, and is checked against the same strict patterns.
 */
public record SnapshotId(String node, String disk, String name) implements Comparable<SnapshotId> {

    static final String PREFIX = "snap";

    public SnapshotId {
        VolumeId.require(VolumeId.NODE, node, "node");
        VolumeId.require(VolumeId.DISK, disk, "disk");
        VolumeId.require(VolumeId.NAME, name, "name");
    }

    public static Optional<SnapshotId> parse(String raw) {
        return VolumeId.parts(PREFIX, raw).map(p -> new SnapshotId(p[1], p[2], p[3]));
    }

    @Override
    public String toString() {
        return PREFIX + ":" + node + ":" + disk + ":" + name;
    }

    @Override
    public int compareTo(SnapshotId other) {
        return toString().compareTo(other.toString());
    }
}
