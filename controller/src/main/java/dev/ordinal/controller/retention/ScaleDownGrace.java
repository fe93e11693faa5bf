package dev.ordinal.controller.retention;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The annotation {@code ordinal.csi.dev/scale-down-grace}: how long a scaled-down claim waits before it is deleted.
 * Written like Go durations ({@code 10m}, {@code 1h30m}, {@code 90s}, {@code 1500ms}) or ISO-8601 ({@code PT10M}).
 * An unreadable value is {@link #invalid}: retention then deletes no scaled-down claim (and says why in an Event).
 */
public record ScaleDownGrace(Optional<Duration> duration, Optional<String> invalid) {

    public static final ScaleDownGrace NONE = new ScaleDownGrace(Optional.empty(), Optional.empty());
    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h)");

    public static ScaleDownGrace of(Duration duration) {
        return new ScaleDownGrace(Optional.of(duration), Optional.empty());
    }

    public static ScaleDownGrace parse(String value) {
        if (value == null || value.isBlank()) {
            return NONE;
        }
        String text = value.trim();
        try {
            if (text.startsWith("P") || text.startsWith("p")) {
                return valid(Duration.parse(text), value);
            }
            Matcher matcher = PART.matcher(text);
            Duration total = Duration.ZERO;
            int end = 0;
            while (matcher.find() && matcher.start() == end) {
                long amount = Long.parseLong(matcher.group(1));
                total = total.plus(switch (matcher.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    default -> Duration.ofHours(amount);
                });
                end = matcher.end();
            }
            return end == text.length() && end > 0 ? valid(total, value) : invalid(value);
        } catch (RuntimeException e) {
            return invalid(value);
        }
    }

    private static ScaleDownGrace valid(Duration duration, String value) {
        return duration.isNegative() ? invalid(value) : of(duration);
    }

    private static ScaleDownGrace invalid(String value) {
        return new ScaleDownGrace(Optional.empty(), Optional.of(value));
    }

    public boolean isInvalid() {
        return invalid.isPresent();
    }
}
