package dev.ordinal.driver;

import dev.ordinal.allocator.model.Capacity;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Kubernetes resource quantities in configuration: 512, 64Mi, 10Gi, 1T. */
final class Quantity {

    private static final Pattern FORM = Pattern.compile("(\\d+)([KMGTP]i?)?");
    private static final Map<String, Long> UNITS = Map.of(
            "K", 1_000L, "M", 1_000_000L, "G", 1_000_000_000L, "T", 1_000_000_000_000L, "P", 1_000_000_000_000_000L,
            "Ki", 1L << 10, "Mi", 1L << 20, "Gi", 1L << 30, "Ti", 1L << 40, "Pi", 1L << 50);

    private Quantity() {
    }

    static Capacity parse(String setting, String text) {
        Matcher m = FORM.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException(setting + "=" + text + " is not a size (examples: 1048576, 64Mi, 10Gi)");
        }
        long unit = m.group(2) == null ? 1 : UNITS.get(m.group(2));
        return Capacity.ofBytes(Math.multiplyExact(Long.parseLong(m.group(1)), unit));
    }
}
