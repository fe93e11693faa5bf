package dev.ordinal.controller.nodeloss;

import java.util.Optional;

/** The Pod of one ordinal, as the StatefulSet controls it, and the node it was scheduled to (empty: not yet). */
public record OrdinalPod(String name, int ordinal, String uid, String resourceVersion, Optional<String> node) {
}
