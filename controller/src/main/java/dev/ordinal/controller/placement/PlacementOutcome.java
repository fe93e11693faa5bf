package dev.ordinal.controller.placement;

import dev.ordinal.allocator.Decision;
import dev.ordinal.allocator.model.Placement;
import java.time.Duration;

/** The allocator's answer for one claim, and how long it took to decide. */
public sealed interface PlacementOutcome {

    ClaimRequest request();

    /** The allocator's call alone, not the building of its model. */
    Duration took();

    record Placed(ClaimRequest request, Placement where, Duration took) implements PlacementOutcome {
    }

    /**
     * No disk fits. {@code message} is the allocator's, with its numbers (nodes known, matching, cordoned, blocked by
     * spread, largest free disk, size asked); {@code asked} and {@code largestFree} repeat the two a user looks for.
     */
    record Refused(ClaimRequest request, Decision.Reason reason, String message, long asked, long largestFree,
            Duration took) implements PlacementOutcome {
    }
}
