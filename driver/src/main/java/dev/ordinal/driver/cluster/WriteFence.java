package dev.ordinal.driver.cluster;

import java.util.Optional;

/**
 * What the controller's stores check right before a write that places or deletes a volume: that this replica still
 * leads. A replica that was frozen or cut off past its Lease finds out here, before it writes, not after.
 */
public interface WriteFence {

    /** No fence: a single controller (no leader election configured). */
    WriteFence NONE = new WriteFence() {
        @Override
        public void beforeWrite(String what) {
        }

        @Override
        public Optional<String> identity() {
            return Optional.empty();
        }
    };

    /** Throws (UNAVAILABLE) when this replica no longer leads; {@code what} names the write for the message. */
    void beforeWrite(String what);

    /** The replica's identity (its pod), recorded on what it places; empty without leader election. */
    Optional<String> identity();
}
