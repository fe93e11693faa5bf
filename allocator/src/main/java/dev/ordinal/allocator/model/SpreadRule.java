package dev.ordinal.allocator.model;

import java.util.Locale;
import java.util.Objects;

/**
 * Keeps different ordinals of one {@link OwnerGroup} apart. HARD never puts two ordinals in the same
 * node (or zone); SOFT prefers the node (or zone) holding the fewest ordinals but never refuses for it.
 * Volumes of the same ordinal do not count against each other: they are one replica.
 */
public record SpreadRule(Scope scope, Strictness strictness) {
    public enum Scope { NONE, NODE, ZONE }

    public enum Strictness { HARD, SOFT }

    public static final SpreadRule NONE = new SpreadRule(Scope.NONE, Strictness.SOFT);
    public static final SpreadRule HARD_NODE = new SpreadRule(Scope.NODE, Strictness.HARD);
    public static final SpreadRule SOFT_NODE = new SpreadRule(Scope.NODE, Strictness.SOFT);
    public static final SpreadRule HARD_ZONE = new SpreadRule(Scope.ZONE, Strictness.HARD);
    public static final SpreadRule SOFT_ZONE = new SpreadRule(Scope.ZONE, Strictness.SOFT);

    public SpreadRule {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(strictness, "strictness");
    }

    /** Parses StorageClass values such as "node", "zone/hard", "node/soft", "none". Default strictness is hard. */
    public static SpreadRule parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        String[] parts = t.split("[/:,\\s]+");
        Scope scope = switch (parts[0]) {
            case "", "none" -> Scope.NONE;
            case "node" -> Scope.NODE;
            case "zone" -> Scope.ZONE;
            default -> throw new IllegalArgumentException("unknown spread scope '" + text + "', expected node, zone or none");
        };
        Strictness strictness = Strictness.HARD;
        if (parts.length > 1) {
            strictness = switch (parts[1]) {
                case "hard" -> Strictness.HARD;
                case "soft" -> Strictness.SOFT;
                default -> throw new IllegalArgumentException("unknown spread strictness in '" + text + "', expected hard or soft");
            };
        }
        return scope == Scope.NONE ? NONE : new SpreadRule(scope, strictness);
    }

    public boolean isHard() {
        return scope != Scope.NONE && strictness == Strictness.HARD;
    }

    @Override
    public String toString() {
        return scope == Scope.NONE ? "none" : scope.name().toLowerCase(Locale.ROOT) + "/" + strictness.name().toLowerCase(Locale.ROOT);
    }
}
