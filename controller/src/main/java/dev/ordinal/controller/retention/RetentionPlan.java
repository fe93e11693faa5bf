package dev.ordinal.controller.retention;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The decision for every claim of one StatefulSet, and when to look again (the earliest grace expiry). */
public record RetentionPlan(StatefulSetState set, List<ClaimAction> actions, Optional<Instant> revisitAt) {

    public RetentionPlan {
        actions = List.copyOf(actions);
    }

    public List<ClaimAction> changes() {
        return actions.stream().filter(ClaimAction::changes).toList();
    }
}
