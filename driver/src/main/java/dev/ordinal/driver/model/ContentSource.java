package dev.ordinal.driver.model;

/** What a new volume starts with: nothing, a snapshot (restore) or another volume (clone). */
public sealed interface ContentSource {

    /** The form kept in a volume's metadata, and compared when a CreateVolume is retried. */
    String describe();

    record Empty() implements ContentSource {
        @Override
        public String describe() {
            return "";
        }
    }

    record FromSnapshot(String snapshotId) implements ContentSource {
        @Override
        public String describe() {
            return "snapshot=" + snapshotId;
        }
    }

    record FromVolume(String volumeId) implements ContentSource {
        @Override
        public String describe() {
            return "volume=" + volumeId;
        }
    }

    ContentSource NONE = new Empty();

    static ContentSource parse(String described) {
        if (described == null || described.isEmpty()) {
            return NONE;
        }
        if (described.startsWith("snapshot=")) {
            return new FromSnapshot(described.substring("snapshot=".length()));
        }
        if (described.startsWith("volume=")) {
            return new FromVolume(described.substring("volume=".length()));
        }
        throw new IllegalArgumentException("unknown content source " + described);
    }
}
