package dev.ordinal.allocator.model;

/**
 * A byte count. {@link #toString()} is meant for people reading a refusal ("4 GiB", "1.5 TiB"),
 * so it uses binary units and at most two decimals; {@link #bytes()} is exact.
 */
public record Capacity(long bytes) implements Comparable<Capacity> {
    public static final Capacity ZERO = new Capacity(0);
    private static final long KIB = 1024L;
    private static final long MIB = KIB * 1024;
    private static final long GIB = MIB * 1024;
    private static final long TIB = GIB * 1024;
    private static final long PIB = TIB * 1024;

    public Capacity {
        if (bytes < 0) {
            throw new IllegalArgumentException("capacity must not be negative: " + bytes);
        }
    }

    public static Capacity ofBytes(long bytes) {
        return new Capacity(bytes);
    }

    public static Capacity ofMiB(long mib) {
        return new Capacity(Math.multiplyExact(mib, MIB));
    }

    public static Capacity ofGiB(long gib) {
        return new Capacity(Math.multiplyExact(gib, GIB));
    }

    public static Capacity ofTiB(long tib) {
        return new Capacity(Math.multiplyExact(tib, TIB));
    }

    public boolean isZero() {
        return bytes == 0;
    }

    @Override
    public int compareTo(Capacity o) {
        return Long.compare(bytes, o.bytes);
    }

    @Override
    public String toString() {
        return format(bytes);
    }

    /** Formats a possibly negative byte count (over-committed disks report negative free space). */
    public static String format(long bytes) {
        if (bytes < 0) {
            return "-" + format(-bytes);
        }
        if (bytes < KIB) {
            return bytes + " B";
        }
        long[] units = {PIB, TIB, GIB, MIB, KIB};
        String[] names = {"PiB", "TiB", "GiB", "MiB", "KiB"};
        for (int i = 0; i < units.length; i++) {
            if (bytes >= units[i]) {
                return scaled(bytes, units[i]) + " " + names[i];
            }
        }
        throw new AssertionError("unreachable");
    }

    private static String scaled(long bytes, long unit) {
        if (bytes % unit == 0) {
            return Long.toString(bytes / unit);
        }
        // Two decimals, trailing zeros trimmed: 1.5 GiB, 1.25 GiB, 4.01 GiB.
        String s = String.format(java.util.Locale.ROOT, "%.2f", (double) bytes / unit);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
