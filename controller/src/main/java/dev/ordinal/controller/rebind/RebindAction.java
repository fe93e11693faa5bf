package dev.ordinal.controller.rebind;

import java.util.List;

/** What binding does for one waiting claim. {@code passedOver}: older Released volumes of the same ordinal. */
public sealed interface RebindAction {

    PendingClaim claim();

    /** Point the volume's claimRef at the claim (stale reference replaced), then set the claim's volumeName. */
    record Rebind(PendingClaim claim, RetainedVolume volume, List<RetainedVolume> passedOver) implements RebindAction {
    }

    /** The volume points at the claim already (an earlier pass stopped half-way): set the claim's volumeName. */
    record CompleteBind(PendingClaim claim, RetainedVolume volume) implements RebindAction {
    }

    /**
     * The ordinal's volume does not fit the claim (the reasons say how): mark the claim
     * {@code ordinal.csi.dev/rebind: skipped}, so the driver makes a new volume, and leave the old one as it is.
     */
    record Skip(PendingClaim claim, RetainedVolume volume, List<String> reasons, List<RetainedVolume> passedOver)
            implements RebindAction {
    }

    /** A Released volume of the ordinal exists but may not be touched yet (being deleted, claimed by a live claim). */
    record Wait(PendingClaim claim, RetainedVolume volume, String why) implements RebindAction {
    }
}
