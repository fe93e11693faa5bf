package dev.ordinal.driver;

import dev.ordinal.driver.local.DiskSetup;
import dev.ordinal.driver.local.LocalDisk;
import java.util.List;

/**
 * Whether every configured disk can take volumes. Probe is called many times a second by the liveness sidecar,
 * so the answer is kept for a second rather than checked on every call.
 */
public final class DiskHealth {

    private static final long TTL_NANOS = 1_000_000_000L;

    private final List<LocalDisk> disks;
    private volatile boolean usable;
    private volatile long checkedAt;

    DiskHealth(List<LocalDisk> disks) {
        this.disks = List.copyOf(disks);
        this.checkedAt = System.nanoTime() - TTL_NANOS - 1;
    }

    public boolean allUsable() {
        long now = System.nanoTime();
        if (now - checkedAt > TTL_NANOS) {
            usable = disks.stream().allMatch(DiskSetup::usable);
            checkedAt = now;
        }
        return usable;
    }

    public List<String> unusable() {
        return disks.stream().filter(d -> !DiskSetup.usable(d)).map(d -> d.name() + " (" + d.root() + ")").toList();
    }
}
