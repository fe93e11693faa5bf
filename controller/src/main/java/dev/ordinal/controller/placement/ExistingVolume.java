package dev.ordinal.controller.placement;

import dev.ordinal.controller.model.OrdinalClaim;
import java.util.Optional;

/**
 * Space taken on a node before this decision: an Ordinal PersistentVolume ({@code provisioned}), or a claim placed
 * earlier whose volume is not made yet (its {@code ordinal.csi.dev/placement}).
 *
 * @param key   unique among volumes: the PV's name, or {@code namespace/claim} for a placed claim
 * @param disk  empty when only the node is known (a PV whose id does not name its disk, only its node affinity)
 * @param owner the StatefulSet ordinal it was made for, when known: it counts against spread for that set
 */
public record ExistingVolume(String key, String node, Optional<String> disk, String layout, long bytes,
        boolean provisioned, Optional<OrdinalClaim> owner) {
}
