package dev.ordinal.driver.model;

import java.time.Instant;

/**
 * A deleted volume whose data is held on its disk for a grace period: DeleteVolume answered OK and moved the data
 * aside, so that its StatefulSet ordinal gets it back if it returns before {@code purgeAt}. {@code record} is the
 * volume as it was when deleted; its bytes still count against its disk until the data is purged.
 */
public record HeldVolume(VolumeRecord record, Instant heldAt, Instant purgeAt) {

    /** Whether the grace is over at {@code now}. */
    public boolean due(Instant now) {
        return !now.isBefore(purgeAt);
    }
}
