package dev.ordinal.controller.nodeloss;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The releases due now, and when to look again (the earliest node whose timeout has not run out yet). */
public record NodeLossPlan(List<Release> releases, Optional<Instant> revisitAt) {
}
