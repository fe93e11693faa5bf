package dev.ordinal.driver.host;

/** What statfs(2) says of a mounted filesystem, in bytes and inodes. */
public record FilesystemStats(long totalBytes, long availableBytes, long usedBytes, long totalInodes,
        long freeInodes) {

    public long usedInodes() {
        return totalInodes - freeInodes;
    }
}
