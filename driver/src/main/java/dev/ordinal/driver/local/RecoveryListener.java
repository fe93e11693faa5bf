package dev.ordinal.driver.local;

import dev.ordinal.allocator.model.DiskName;

/** Told what start-up recovery found on a disk that no acknowledged volume accounts for. */
public interface RecoveryListener {

    RecoveryListener NONE = (disk, kind) -> { };

    /** What recovery found; the first two it cleans up, the last it leaves for an operator. */
    enum Orphan {
        /** A volume directory without metadata: a CreateVolume that never finished (removed). */
        UNFINISHED_CREATION,
        /** A {@code .deleting-*} directory: a DeleteVolume that never finished (removed). */
        INTERRUPTED_DELETION,
        /** A symbolic link in the volumes directory, which the driver never makes (left in place). */
        FOREIGN_LINK,
        /**
         * A volume with metadata that no OrdinalVolume references (cluster mode): removed by the node agent once
         * it has stayed unreferenced for the grace period.
         */
        UNREFERENCED
    }

    void found(DiskName disk, Orphan kind);
}
