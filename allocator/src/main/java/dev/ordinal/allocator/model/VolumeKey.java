package dev.ordinal.allocator.model;

import java.util.Objects;

/** The CSI volume name (or id) an allocation is filed under; re-placing the same key is idempotent. */
public record VolumeKey(String id) {
    public VolumeKey {
        Objects.requireNonNull(id, "volume id");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("volume id must not be empty");
        }
    }

    public static VolumeKey of(String id) {
        return new VolumeKey(id);
    }

    @Override
    public String toString() {
        return id;
    }
}
