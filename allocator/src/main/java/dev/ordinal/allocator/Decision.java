package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Placement;

import java.util.Objects;

/** Outcome of {@link Allocator#place}: a reservation to commit or release, or a refusal with numbers. */
public sealed interface Decision permits Decision.Placed, Decision.Refused {

    /** Space is held on {@code reservation.placement()} until the caller commits or releases it. */
    record Placed(Reservation reservation) implements Decision {
        public Placed {
            Objects.requireNonNull(reservation, "reservation");
        }

        public Placement placement() {
            return reservation.placement();
        }
    }

    /**
     * No legal placement. {@code message} is meant for the PVC event ("of 12 nodes, 3 match
     * topology ...; 2 hold ordinals of db ...; 1 left, its largest free disk has 4 GiB, 10 GiB asked");
     * {@code counts} carries the same numbers for metrics and tests.
     */
    record Refused(Reason reason, String message, Counts counts) implements Decision {
        public Refused {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(counts, "counts");
        }

        @Override
        public String toString() {
            return reason + ": " + message;
        }
    }

    /** The first filter that left nothing, in the order they are applied. */
    enum Reason {
        /** The model has no nodes at all. */
        NO_NODES,
        /** No node matches any requisite topology segment. */
        TOPOLOGY,
        /** Every node matching the topology is cordoned. */
        CORDONED,
        /** No schedulable matching node has a disk offering the layout. */
        LAYOUT,
        /** Every remaining node (or zone) already holds another ordinal of the group under a hard spread rule. */
        SPREAD,
        /** Nodes are left, but none of their disks has room for the requested size. */
        CAPACITY,
        /** The sticky location is unusable; retained data is not moved silently elsewhere. */
        STICKY,
        /** The same volume key has a reservation in flight (a concurrent CreateVolume): retry later. */
        IN_FLIGHT,
        /** The volume key is already allocated with a different layout or a smaller size. */
        CONFLICT
    }

    /**
     * Node counts of the filter funnel; each count is taken among nodes that passed the previous
     * filters. {@code largestFree} is the largest free disk on nodes that passed every filter except
     * capacity (for sticky refusals: the sticky disk's free bytes).
     */
    record Counts(int nodesKnown, int nodesMatchingTopology, int nodesCordoned, int nodesOfferingLayout,
                  int nodesBlockedBySpread, int nodesLeft, Capacity largestFree, Capacity requested) {
        static Counts none(Capacity requested) {
            return new Counts(0, 0, 0, 0, 0, 0, Capacity.ZERO, requested);
        }
    }
}
