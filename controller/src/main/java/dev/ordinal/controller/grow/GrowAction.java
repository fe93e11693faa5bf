package dev.ordinal.controller.grow;

import dev.ordinal.controller.rebind.Size;

/** What the plan asks for one claim. */
public sealed interface GrowAction {

    GrowingClaim claim();

    /** Ask the claim for {@code to}: csi-resizer then grows the volume, kubelet its filesystem. */
    record Grow(GrowingClaim claim, Size to) implements GrowAction {
    }

    /** The claim cannot be grown; the rollout stops at it until the reason is gone. */
    record Refuse(GrowingClaim claim, String reason) implements GrowAction {
    }
}
