package dev.ordinal.controller.placement;

import dev.ordinal.controller.model.OrdinalClaim;
import java.util.Optional;

/** One Pending claim to place: its ordinal, the bytes it asks for, its class's rules, its retained volume if any. */
public record ClaimRequest(OrdinalClaim claim, long bytes, ClassRules rules, Optional<StickyVolume> sticky) {

    /** The allocator's key for it, shown in refusals: {@code namespace/claim}. */
    public String key() {
        return claim.namespace() + "/" + claim.claimName();
    }
}
