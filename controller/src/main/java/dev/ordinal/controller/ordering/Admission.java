package dev.ordinal.controller.ordering;

import java.time.Duration;

/** What ordered binding decides for one Pending claim that has no admission yet. */
public sealed interface Admission {

    OrderedClaim claim();

    /**
     * Write {@code ordinal.csi.dev/admitted: "true"}: the driver may provision it now.
     *
     * @param waited since the claim was created
     * @param why    for the claim's Event
     */
    record Admit(OrderedClaim claim, Duration waited, String why) implements Admission {
    }

    /**
     * Not yet: the claim of ordinal {@code predecessor} (k-1) must be Bound first; {@code firstUnbound} is the
     * lowest earlier ordinal that is not Bound yet (missing, or Pending), where the chain stands now.
     */
    record Wait(OrderedClaim claim, int predecessor, int firstUnbound) implements Admission {
    }
}
