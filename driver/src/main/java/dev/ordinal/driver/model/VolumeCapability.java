package dev.ordinal.driver.model;

import java.util.List;

/**
 * One CSI volume capability: how the volume is accessed (a block device or a mounted filesystem) and by whom.
 * {@code fsType} is empty when the caller left it to the driver.
 */
public record VolumeCapability(AccessMode mode, boolean block, String fsType, List<String> mountFlags) {

    public VolumeCapability {
        fsType = fsType == null ? "" : fsType;
        mountFlags = List.copyOf(mountFlags);
    }

    public static VolumeCapability mount(AccessMode mode, String fsType) {
        return new VolumeCapability(mode, false, fsType, List.of());
    }

    public static VolumeCapability block(AccessMode mode) {
        return new VolumeCapability(mode, true, "", List.of());
    }
}
