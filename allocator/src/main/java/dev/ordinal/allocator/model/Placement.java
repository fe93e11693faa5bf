package dev.ordinal.allocator.model;

import java.util.Comparator;
import java.util.Objects;

/** A (node, disk) pair: where a volume lives, or where a sticky request wants it to live. */
public record Placement(NodeName node, DiskName disk) implements Comparable<Placement> {
    private static final Comparator<Placement> ORDER =
            Comparator.comparing(Placement::node).thenComparing(Placement::disk);

    public Placement {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(disk, "disk");
    }

    public static Placement of(String node, String disk) {
        return new Placement(new NodeName(node), new DiskName(disk));
    }

    @Override
    public int compareTo(Placement o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return node + "/" + disk;
    }
}
