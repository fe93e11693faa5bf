package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Allocation;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.allocator.model.VolumeKey;

/**
 * Space held on one disk for one volume while the caller creates it. It counts against the disk's
 * capacity (and against spread) from the moment {@link Allocator#place} returns until it is
 * released. Commit once the volume exists; release if creation failed. Thread-safe.
 */
public final class Reservation {
    public enum State { PENDING, COMMITTED, RELEASED }

    private final Allocator owner;
    private final Hold hold;
    private final Allocation allocation;

    Reservation(Allocator owner, Hold hold, Allocation allocation) {
        this.owner = owner;
        this.hold = hold;
        this.allocation = allocation;
    }

    public VolumeKey volume() {
        return allocation.volume();
    }

    public Placement placement() {
        return allocation.placement();
    }

    public Capacity bytes() {
        return allocation.bytes();
    }

    /** The allocation this reservation becomes on commit. */
    public Allocation allocation() {
        return allocation;
    }

    public State state() {
        return owner.stateOf(hold);
    }

    /**
     * Turns the reservation into an allocation filed under its volume key. Idempotent.
     *
     * @throws IllegalStateException if it was released, or its disk or node was removed meanwhile
     */
    public Allocation commit() {
        owner.commit(hold);
        return allocation;
    }

    /**
     * Gives the space back if still pending. Idempotent; a no-op after commit (remove the allocation
     * with {@link Allocator#removeAllocation} instead).
     *
     * @return true if this call released the space
     */
    public boolean release() {
        return owner.release(hold);
    }

    @Override
    public String toString() {
        return "Reservation[" + allocation.volume() + " " + allocation.bytes() + " on " + allocation.placement() + " " + state() + "]";
    }
}
