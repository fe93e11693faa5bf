package dev.ordinal.controller.retention;

import dev.ordinal.contract.Durations;
import java.time.Duration;
import java.util.Optional;

/**
 * The annotation {@code ordinal.csi.dev/scale-down-grace}: how long a scaled-down claim waits before it is deleted.
 * Written as {@link Durations} reads them: Go style ({@code 10m}, {@code 1h30m}) or ISO-8601 ({@code PT10M}).
 * An unreadable value is {@link #invalid}: retention then deletes no scaled-down claim (and says why in an Event).
 */
public record ScaleDownGrace(Optional<Duration> duration, Optional<String> invalid) {

    public static final ScaleDownGrace NONE = new ScaleDownGrace(Optional.empty(), Optional.empty());

    public static ScaleDownGrace of(Duration duration) {
        return new ScaleDownGrace(Optional.of(duration), Optional.empty());
    }

    public static ScaleDownGrace parse(String value) {
        if (value == null || value.isBlank()) {
            return NONE;
        }
        return Durations.parse(value).map(ScaleDownGrace::of).orElseGet(() -> invalid(value));
    }

    private static ScaleDownGrace invalid(String value) {
        return new ScaleDownGrace(Optional.empty(), Optional.of(value));
    }

    public boolean isInvalid() {
        return invalid.isPresent();
    }
}
