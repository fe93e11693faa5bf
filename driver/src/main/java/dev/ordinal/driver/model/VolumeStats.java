package dev.ordinal.driver.model;

/**
 * What NodeGetVolumeStats reports: usage (absent for a block volume, which has only a size) and the volume's
 * condition, abnormal when the backing store is missing or the volume is no longer mounted where asked.
 */
public record VolumeStats(long totalBytes, long availableBytes, long usedBytes, long totalInodes, long usedInodes,
        long availableInodes, boolean block, boolean abnormal, String condition) {

    public static VolumeStats block(long totalBytes, boolean abnormal, String condition) {
        return new VolumeStats(totalBytes, 0, 0, 0, 0, 0, true, abnormal, condition);
    }

    public VolumeStats withCondition(boolean isAbnormal, String message) {
        return new VolumeStats(totalBytes, availableBytes, usedBytes, totalInodes, usedInodes, availableInodes, block,
                isAbnormal, message);
    }
}
