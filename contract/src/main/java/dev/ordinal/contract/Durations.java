package dev.ordinal.contract;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations in annotations, written as Kubernetes users write them elsewhere: Go style ({@code 10m}, {@code 1h30m},
 * {@code 90s}, {@code 1500ms}) or ISO-8601 ({@code PT10M}). Shared by every annotation that takes a duration, so
 * that {@code scale-down-grace} and {@code node-loss-timeout} accept exactly the same spellings.
 */
public final class Durations {

    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h)");

    private Durations() {
    }

    /** The duration, or empty when the text is blank, unreadable or negative. */
    public static Optional<Duration> parse(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String text = value.trim();
        try {
            Duration total;
            if (text.startsWith("P") || text.startsWith("p")) {
                total = Duration.parse(text);
            } else {
                Matcher matcher = PART.matcher(text);
                total = Duration.ZERO;
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
                if (end != text.length() || end == 0) {
                    return Optional.empty();
                }
            }
            return total.isNegative() ? Optional.empty() : Optional.of(total);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Go style, for messages: {@code 10m}, {@code 1h30m}, {@code 45s}, {@code 500ms} (whole seconds from 1s up). */
    public static String format(Duration duration) {
        if (duration.toMillis() < 1000) {
            return duration.toMillis() + "ms";
        }
        StringBuilder out = new StringBuilder();
        if (duration.toHours() > 0) {
            out.append(duration.toHours()).append('h');
        }
        if (duration.toMinutesPart() > 0) {
            out.append(duration.toMinutesPart()).append('m');
        }
        if (duration.toSecondsPart() > 0 || out.isEmpty()) {
            out.append(duration.toSecondsPart()).append('s');
        }
        return out.toString();
    }
}
