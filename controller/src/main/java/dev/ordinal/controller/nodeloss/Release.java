package dev.ordinal.controller.nodeloss;

import java.util.List;
import java.util.Optional;

/**
 * What node loss does for one ordinal: delete its claims whose volumes lived on the lost node (those not already
 * being deleted), and delete its Pod when that Pod is still on the lost node (or waits unscheduled for those
 * claims), so that the StatefulSet controller makes the ordinal again, with new claims, elsewhere.
 */
public record Release(LostNode lost, int ordinal, List<PlacedClaim> claims, Optional<OrdinalPod> pod) {
}
