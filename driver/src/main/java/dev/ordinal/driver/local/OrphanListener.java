package dev.ordinal.driver.local;

import dev.ordinal.allocator.model.DiskName;

/**
 * Told what the driver finds on a disk that no acknowledged volume accounts for (the metrics listen). Foreign links
 * are not told: they stay where they are until an operator removes them, so their number is read from the disk
 * ({@link LocalVolumes#foreignLinks(DiskName)}).
 */
public interface OrphanListener {

    OrphanListener NONE = new OrphanListener() {
        @Override
        public void recovered(DiskName disk, Leftover kind) {
        }

        @Override
        public void unreferenced(DiskName disk, int count) {
        }

        @Override
        public void deletionsRefused(DiskName disk, int count) {
        }
    };

    /** What a crash leaves of an operation it interrupted; start-up recovery removes both. */
    enum Leftover {
        /** A volume or snapshot directory without metadata: a creation that never finished. */
        UNFINISHED_CREATION,
        /** A {@code .deleting-*} directory: a deletion that never finished. */
        INTERRUPTED_DELETION
    }

    /** Start-up recovery removed one leftover from the disk. */
    void recovered(DiskName disk, Leftover kind);

    /**
     * How many volumes and snapshots with metadata on the disk no resource references now and have stayed so past
     * the grace period (cluster mode: the node agent's leak check tells it after each check). They stay on the disk:
     * no agent deletes data because its record is missing.
     */
    void unreferenced(DiskName disk, int count);

    /**
     * How many volumes and snapshots on the disk have a resource being deleted that the driver's controller did not
     * delete (a CRD deleted, a {@code kubectl delete}): the agent keeps their data and their finalizer.
     */
    void deletionsRefused(DiskName disk, int count);
}
