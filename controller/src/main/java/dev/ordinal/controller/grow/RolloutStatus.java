package dev.ordinal.controller.grow;

import dev.ordinal.controller.rebind.Size;
import java.util.List;
import java.util.Optional;

/**
 * Where a template's growth stands: {@code done} of {@code total} claims hold {@code size}; {@code current} are the
 * ordinals in flight (asked for the size, not finished on controller or node); {@code reason} says why it stopped
 * or waits, when it does.
 */
public record RolloutStatus(Size size, int done, int total, List<Integer> current, State state,
        Optional<String> reason) {

    public enum State {
        /** Every claim holds the size. */
        COMPLETE,
        /** Claims are growing, or wait for their turn. */
        ROLLING,
        /** Paused by annotation: no claim starts; those in flight finish. */
        PAUSED,
        /** Refused at a claim: nothing more starts until the reason is gone. */
        STOPPED
    }

    public RolloutStatus {
        current = List.copyOf(current);
    }
}
