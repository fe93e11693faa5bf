package dev.ordinal.driver.volume;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.CapacityRange;

/**
 * Turns a CSI capacity range into the size a volume gets: the default when none is asked, raised to what the
 * layout's filesystem needs at least, rounded up to whole MiB (or 4 KiB when the limit leaves no room for a MiB).
 */
final class VolumeSizing {

    static final long KIB4 = 4096;
    static final long MIB = 1024 * 1024;
    /** mkfs.xfs refuses filesystems smaller than 300 MiB. */
    static final long XFS_MINIMUM = 300 * MIB;
    /** Room for ext4's journal and inode tables with something left for data. */
    static final long EXT4_MINIMUM = 8 * MIB;

    private VolumeSizing() {
    }

    static long minimum(Layout layout, boolean block, String fsType) {
        if (layout != Layout.IMAGE || block) {
            return MIB;
        }
        return fsType.equals("xfs") ? XFS_MINIMUM : EXT4_MINIMUM;
    }

    static Capacity size(CapacityRange range, Layout layout, boolean block, String fsType, Capacity defaultSize) {
        long required = range.requiredBytes();
        long limit = range.limitBytes();
        range.requireValid();
        long minimum = minimum(layout, block, fsType);
        if (limit != 0 && limit < minimum) {
            throw new DriverError.OutOfRange("capacity_range.limit_bytes " + Capacity.format(limit) + " is below the "
                    + Capacity.format(minimum) + " a " + describe(layout, block, fsType) + " volume needs");
        }
        long wanted = required == 0 ? defaultSize.bytes() : required;
        if (limit != 0) {
            wanted = Math.min(wanted, limit);
        }
        wanted = Math.max(wanted, minimum);
        long rounded = roundUp(wanted, MIB);
        if (limit != 0 && rounded > limit) {
            rounded = roundUp(wanted, KIB4);
            if (rounded > limit) {
                throw new DriverError.OutOfRange("capacity_range " + range + " admits no size in whole 4 KiB blocks");
            }
        }
        return Capacity.ofBytes(rounded);
    }

    static String describe(Layout layout, boolean block, String fsType) {
        if (layout == Layout.IMAGE) {
            return block ? "block image" : fsType + " image";
        }
        return layout.wireName();
    }

    private static long roundUp(long value, long unit) {
        if (value > Long.MAX_VALUE - unit) {
            throw new DriverError.OutOfRange("capacity " + value + " bytes is too large");
        }
        return (value + unit - 1) / unit * unit;
    }
}
