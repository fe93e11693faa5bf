package dev.ordinal.controller.placement;

import java.util.Optional;

/**
 * A retained volume (reclaim policy Retain, not Bound) made earlier for the same ordinal of the same template: its
 * data is where the ordinal's new claim belongs, so the decision is bound to its node (and disk, when its id says).
 */
public record StickyVolume(String volume, String node, Optional<String> disk) {
}
