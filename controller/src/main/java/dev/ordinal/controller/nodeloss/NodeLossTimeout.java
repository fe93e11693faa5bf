package dev.ordinal.controller.nodeloss;

import dev.ordinal.contract.Durations;
import java.time.Duration;
import java.util.Optional;

/**
 * The StatefulSet annotation {@code ordinal.csi.dev/node-loss-timeout}: how long a node may be gone before the
 * claims of local volumes on it are released. Absent: node loss is never acted on (opt-in). Unreadable: not acted on
 * either, and {@link #invalid} says what was written, so the controller can tell the user.
 */
public record NodeLossTimeout(Optional<Duration> timeout, Optional<String> invalid) {

    public static final NodeLossTimeout OFF = new NodeLossTimeout(Optional.empty(), Optional.empty());

    public static NodeLossTimeout of(Duration timeout) {
        return new NodeLossTimeout(Optional.of(timeout), Optional.empty());
    }

    public static NodeLossTimeout parse(String value) {
        if (value == null || value.isBlank()) {
            return OFF;
        }
        return Durations.parse(value).map(NodeLossTimeout::of)
                .orElseGet(() -> new NodeLossTimeout(Optional.empty(), Optional.of(value)));
    }

    public boolean enabled() {
        return timeout.isPresent();
    }
}
