package dev.ordinal.driver.backend;

import dev.ordinal.allocator.model.Capacity;

/** ControllerExpandVolume's answer: the new size, and whether the node must grow the filesystem or device. */
public record ExpansionResult(Capacity capacity, boolean nodeExpansionRequired) {
}
