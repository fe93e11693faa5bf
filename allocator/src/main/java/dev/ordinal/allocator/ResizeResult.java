package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Allocation;

/** Outcome of {@link Allocator#resizeAllocation}. */
public sealed interface ResizeResult permits ResizeResult.Resized, ResizeResult.NotResized {
    record Resized(Allocation allocation) implements ResizeResult {
    }

    /** {@code reason} carries the numbers, e.g. "disk n1/d0 has 2 GiB free, growing by 5 GiB needs 5 GiB". */
    record NotResized(String reason) implements ResizeResult {
    }
}
