package dev.ordinal.controller.ordering;

/** A claim's {@code status.phase}; a claim without one yet is Pending. */
public enum ClaimPhase {
    PENDING, BOUND, LOST;

    public static ClaimPhase of(String phase) {
        if ("Bound".equals(phase)) {
            return BOUND;
        }
        return "Lost".equals(phase) ? LOST : PENDING;
    }
}
