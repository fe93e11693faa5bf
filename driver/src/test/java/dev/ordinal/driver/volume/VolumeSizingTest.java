package dev.ordinal.driver.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.CapacityRange;
import org.junit.jupiter.api.Test;

/** How a capacity range becomes a volume size, per the spec's range rules and each layout's minimum. */
class VolumeSizingTest {

    private static final Capacity DEFAULT = Capacity.ofGiB(1);
    private static final long MIB = 1 << 20;

    @Test
    void noRangeGivesTheDefault() {
        assertEquals(DEFAULT, VolumeSizing.size(CapacityRange.UNSPECIFIED, Layout.DIR, false, "", DEFAULT));
    }

    @Test
    void onlyALimitGivesTheDefaultCappedByTheLimit() {
        assertEquals(Capacity.ofMiB(100), VolumeSizing.size(new CapacityRange(0, 100 * MIB), Layout.DIR, false, "",
                DEFAULT));
    }

    @Test
    void xfsImagesAreRaisedTo300MiB() {
        assertEquals(Capacity.ofMiB(300), VolumeSizing.size(new CapacityRange(10 * MIB, 0), Layout.IMAGE, false,
                "xfs", DEFAULT));
        assertThrows(DriverError.OutOfRange.class, () -> VolumeSizing.size(new CapacityRange(10 * MIB, 200 * MIB),
                Layout.IMAGE, false, "xfs", DEFAULT));
    }

    @Test
    void sizesRoundToWholeMiBOr4KiBWithinTheLimit() {
        assertEquals(Capacity.ofMiB(2), VolumeSizing.size(new CapacityRange(MIB + 1, 0), Layout.DIR, false, "",
                DEFAULT));
        assertEquals(Capacity.ofBytes(MIB + 4096), VolumeSizing.size(new CapacityRange(MIB + 1, MIB + 8192),
                Layout.DIR, false, "", DEFAULT));
        assertThrows(DriverError.OutOfRange.class, () -> VolumeSizing.size(new CapacityRange(MIB + 1, MIB + 2),
                Layout.DIR, false, "", DEFAULT));
    }

    @Test
    void enormousSizesAreOutOfRangeNotAnOverflow() {
        assertThrows(DriverError.OutOfRange.class, () -> VolumeSizing.size(new CapacityRange(Long.MAX_VALUE, 0),
                Layout.DIR, false, "", DEFAULT));
    }
}
