package dev.ordinal.driver.model;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.driver.error.DriverError;

/** The CSI capacity range; 0 in either bound means "not given", as in the spec. */
public record CapacityRange(long requiredBytes, long limitBytes) {

    public static final CapacityRange UNSPECIFIED = new CapacityRange(0, 0);

    /** Refuses a range no volume could satisfy as asked: a negative bound, or a required size above the limit. */
    public CapacityRange requireValid() {
        if (requiredBytes < 0 || limitBytes < 0) {
            throw new DriverError.InvalidArgument("capacity_range must not be negative (required_bytes="
                    + requiredBytes + ", limit_bytes=" + limitBytes + ")");
        }
        if (limitBytes != 0 && requiredBytes > limitBytes) {
            throw new DriverError.InvalidArgument("capacity_range.required_bytes (" + requiredBytes
                    + ") is larger than limit_bytes (" + limitBytes + ")");
        }
        return this;
    }

    public boolean admits(long bytes) {
        return bytes >= requiredBytes && (limitBytes == 0 || bytes <= limitBytes);
    }

    @Override
    public String toString() {
        String required = requiredBytes == 0 ? "any" : Capacity.format(requiredBytes);
        return limitBytes == 0 ? "at least " + required : required + " to " + Capacity.format(limitBytes);
    }
}
