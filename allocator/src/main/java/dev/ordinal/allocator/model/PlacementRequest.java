package dev.ordinal.allocator.model;

import java.util.Objects;
import java.util.Optional;

/**
 * One CreateVolume worth of placement input. Build with {@link #builder(VolumeKey, Capacity, Layout)}.
 *
 * @param group  StatefulSet identity; null for volumes outside a StatefulSet (spread is then ignored)
 * @param sticky where this ordinal's retained volume or previous placement lives; binding when set
 */
public record PlacementRequest(VolumeKey volume, Capacity size, Layout layout, TopologyRequirement topology,
                               OwnerGroup group, int ordinal, SpreadRule spread, FitPolicy fit, Placement sticky) {
    public PlacementRequest {
        Objects.requireNonNull(volume, "volume");
        Objects.requireNonNull(size, "size");
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(topology, "topology");
        Objects.requireNonNull(spread, "spread");
        Objects.requireNonNull(fit, "fit");
        if (size.isZero()) {
            throw new IllegalArgumentException("volume " + volume + ": size must be positive");
        }
        if (group != null && ordinal < 0) {
            throw new IllegalArgumentException("volume " + volume + ": ordinal must be >= 0 for group " + group + ", got " + ordinal);
        }
    }

    public Optional<OwnerGroup> ownerGroup() {
        return Optional.ofNullable(group);
    }

    public Optional<Placement> stickyLocation() {
        return Optional.ofNullable(sticky);
    }

    public static Builder builder(VolumeKey volume, Capacity size, Layout layout) {
        return new Builder(volume, size, layout);
    }

    public static final class Builder {
        private final VolumeKey volume;
        private final Capacity size;
        private final Layout layout;
        private TopologyRequirement topology = TopologyRequirement.ANY;
        private OwnerGroup group;
        private int ordinal = -1;
        private SpreadRule spread = SpreadRule.NONE;
        private FitPolicy fit = FitPolicy.BINPACK;
        private Placement sticky;

        private Builder(VolumeKey volume, Capacity size, Layout layout) {
            this.volume = volume;
            this.size = size;
            this.layout = layout;
        }

        public Builder topology(TopologyRequirement topology) {
            this.topology = topology;
            return this;
        }

        public Builder owner(OwnerGroup group, int ordinal) {
            this.group = group;
            this.ordinal = ordinal;
            return this;
        }

        public Builder spread(SpreadRule spread) {
            this.spread = spread;
            return this;
        }

        public Builder fit(FitPolicy fit) {
            this.fit = fit;
            return this;
        }

        public Builder sticky(Placement sticky) {
            this.sticky = sticky;
            return this;
        }

        public PlacementRequest build() {
            return new PlacementRequest(volume, size, layout, topology, group, ordinal, spread, fit, sticky);
        }
    }
}
