package dev.ordinal.controller.retention;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The StatefulSet annotation {@code ordinal.csi.dev/snapshot-before-delete}: before retention lets a claim of the
 * set go, a VolumeSnapshot of it is taken and must be ready to use. The value names the VolumeSnapshotClass;
 * {@code "true"} asks for the driver's default class (the snapshot is made without a class name, and the snapshot
 * controller picks the class marked {@code snapshot.storage.kubernetes.io/is-default-class}); absent, empty or
 * {@code "false"} is off. Any other value that is not a valid object name is {@link #invalid}: then no claim of
 * the set is deleted (as for an unreadable grace period).
 */
public record SnapshotBeforeDelete(boolean enabled, Optional<String> className, Optional<String> invalid) {

    public static final SnapshotBeforeDelete OFF = new SnapshotBeforeDelete(false, Optional.empty(), Optional.empty());
    public static final SnapshotBeforeDelete DEFAULT_CLASS = new SnapshotBeforeDelete(true, Optional.empty(), Optional.empty());

    /** A DNS subdomain, as Kubernetes requires of a VolumeSnapshotClass name. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    public static SnapshotBeforeDelete parse(String value) {
        if (value == null || value.isBlank()) {
            return OFF;
        }
        String text = value.trim();
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "false" -> OFF;
            case "true" -> DEFAULT_CLASS;
            default -> text.length() <= 253 && NAME.matcher(text).matches()
                    ? new SnapshotBeforeDelete(true, Optional.of(text), Optional.empty())
                    : new SnapshotBeforeDelete(false, Optional.empty(), Optional.of(value));
        };
    }

    public boolean isInvalid() {
        return invalid.isPresent();
    }

    /** For messages: which class the snapshots are made with. */
    public String describeClass() {
        return className.map(name -> "VolumeSnapshotClass " + name).orElse("the default VolumeSnapshotClass");
    }
}
