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
