package dev.ordinal.driver.volume;

import dev.ordinal.allocator.model.VolumeKey;

/** Volumes and snapshots both take disk space in the allocator's model; their keys never collide. */
final class AllocationKeys {

    private AllocationKeys() {
    }

    static VolumeKey volume(String csiName) {
        return VolumeKey.of("volume/" + csiName);
    }

    static VolumeKey snapshot(String csiName) {
        return VolumeKey.of("snapshot/" + csiName);
    }
}
