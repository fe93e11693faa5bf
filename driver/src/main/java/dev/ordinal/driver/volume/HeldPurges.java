package dev.ordinal.driver.volume;

import dev.ordinal.driver.model.HeldVolume;

/** Who hears that held data was purged (metrics), so that no purge goes unseen. */
public interface HeldPurges {

    HeldPurges NONE = (volume, reason) -> { };

    /** Why held data was removed. */
    enum Reason {
        /** Its grace ran out. */
        EXPIRED,
        /** Before its grace ran out: a new volume needed the room on its disk (oldest held first). */
        ROOM;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    void purged(HeldVolume volume, Reason reason);
}
