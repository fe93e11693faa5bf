package dev.ordinal.driver.model;

import dev.ordinal.allocator.model.Capacity;

/** The CSI capacity range; 0 in either bound means "not given", as in the spec. */
public record CapacityRange(long requiredBytes, long limitBytes) {

    public static final CapacityRange UNSPECIFIED = new CapacityRange(0, 0);

    public boolean admits(long bytes) {
        return bytes >= requiredBytes && (limitBytes == 0 || bytes <= limitBytes);
    }

    @Override
    public String toString() {
        String required = requiredBytes == 0 ? "any" : Capacity.format(requiredBytes);
        return limitBytes == 0 ? "at least " + required : required + " to " + Capacity.format(limitBytes);
    }
}
