package dev.ordinal.driver.local;

import java.nio.file.Path;

/**
 * The files of one volume inside its disk's volumes directory: the metadata, and the data as an image file or
 * a directory (a plain one, or a btrfs subvolume).
 */
record VolumeFiles(Path dir) {

    static final String METADATA = "volume.properties";
    static final String SNAPSHOT_METADATA = "snapshot.properties";

    Path metadata() {
        return dir.resolve(METADATA);
    }

    Path snapshotMetadata() {
        return dir.resolve(SNAPSHOT_METADATA);
    }

    /**
     * The record of a hold (when the deleted volume may be purged): present in {@code held/<name>} while the volume
     * is held. Written before the volume moves into {@code held/} and removed before it moves back, so that after a
     * crash its presence says which way the move was going.
     */
    Path hold() {
        return dir.resolve(HOLD);
    }

    static final String HOLD = "hold.properties";

    Path image() {
        return dir.resolve("image");
    }

    Path data() {
        return dir.resolve("data");
    }

    /** Where a staged block volume is staged: a block stage mounts nothing there, so nothing else tells. */
    Path blockStaging() {
        return dir.resolve("block-staging");
    }
}
