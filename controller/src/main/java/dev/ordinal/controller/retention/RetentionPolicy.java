package dev.ordinal.controller.retention;

/**
 * A StatefulSet's {@code spec.persistentVolumeClaimRetentionPolicy} (KEP-1847). Both fields default to
 * {@link Retention#RETAIN}; an unknown value is treated as Retain, as the StatefulSet controller does.
 */
public record RetentionPolicy(Retention whenDeleted, Retention whenScaled) {

    public static final RetentionPolicy RETAIN_ALL = new RetentionPolicy(Retention.RETAIN, Retention.RETAIN);

    public enum Retention {
        RETAIN, DELETE;

        /** "Delete" (any case) is Delete; anything else, absent included, is Retain. */
        public static Retention parse(String value) {
            return "delete".equalsIgnoreCase(value == null ? "" : value.trim()) ? DELETE : RETAIN;
        }
    }

    public static RetentionPolicy of(String whenDeleted, String whenScaled) {
        return new RetentionPolicy(Retention.parse(whenDeleted), Retention.parse(whenScaled));
    }

    public boolean deleteWhenDeleted() {
        return whenDeleted == Retention.DELETE;
    }

    public boolean deleteWhenScaled() {
        return whenScaled == Retention.DELETE;
    }
}
