package dev.ordinal.controller.ordering;

import dev.ordinal.contract.ClassParameters;
import java.util.Locale;
import java.util.Optional;

/**
 * Whether the claims of one template are admitted in ordinal order. Asked for by the StorageClass parameter
 * {@code orderedBinding: "true"} or the StatefulSet annotation {@code ordinal.csi.dev/ordered-binding: "true"}; the
 * annotation, being the more specific, wins when it says {@code "false"} too.
 */
public enum OrderingMode {
    /** Nothing asked: the controller writes nothing, the driver waits for nothing. */
    OFF,
    /** Ordinal k is admitted once the claims of ordinals start..k-1 are Bound. */
    ORDERED,
    /**
     * The class asks for ordered binding but the StatefulSet opts out with {@code "false"}: the driver, which reads
     * the class, still waits for an admission, so every claim is admitted at once.
     */
    ADMIT_ALL;

    /** The StorageClass parameter, as the driver reads it. */
    public static final String CLASS_PARAMETER = ClassParameters.ORDERED_BINDING;

    /**
     * The mode of one claim from its StatefulSet's annotation and its class's parameter (either absent: null). An
     * annotation that is neither true nor false counts as absent (see {@link #readable}).
     */
    public static OrderingMode resolve(String setAnnotation, String classParameter) {
        boolean classAsks = flag(classParameter).orElse(false);
        Optional<Boolean> set = flag(setAnnotation);
        if (set.isPresent()) {
            return set.get() ? ORDERED : classAsks ? ADMIT_ALL : OFF;
        }
        return classAsks ? ORDERED : OFF;
    }

    /** Whether an annotation value is one this controller understands (absent counts as understood). */
    public static boolean readable(String value) {
        return value == null || flag(value).isPresent();
    }

    /** Whether the driver waits for an admission before it provisions. */
    public boolean gated() {
        return this != OFF;
    }

    private static Optional<Boolean> flag(String value) {
        if (value == null) {
            return Optional.empty();
        }
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> Optional.of(true);
            case "false" -> Optional.of(false);
            default -> Optional.empty();
        };
    }
}
