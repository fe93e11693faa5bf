package dev.ordinal.driver.volume;

import dev.ordinal.contract.claim.VolumeIdentity;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What CreateVolume reads of the Kubernetes API about the claim it serves, as plain records. Implemented at the
 * cluster edge (the only place that knows fabric8); there is none without a Kubernetes API (the all-in-one driver).
 * Reads only: the decisions are {@link ClaimAdmission}'s. Failures to read are DriverErrors (ABORTED when a retry
 * may help).
 */
public interface ClaimDirectory {

    /** The claim, or empty when it does not exist. */
    Optional<Claim> claim(String namespace, String name);

    /** The StatefulSet, or empty when it does not exist. */
    Optional<StatefulSet> statefulSet(String namespace, String name);

    /** The phase (Pending, Bound, Lost) of each claim of the namespace, by name. */
    Map<String, String> claimPhases(String namespace);

    /**
     * A PersistentVolume of this driver that holds this identity's data for an earlier claim and waits to be bound
     * again: reclaim policy Retain, the identity in its volumeAttributes, and either phase Released, or still bound
     * to an earlier claim of the same name (a claimRef uid other than {@code claimUid}) that the PV controller has
     * not released yet: the claim can be made again before the PV controller sees the old one go. The first by name
     * if several.
     */
    Optional<HeldVolume> heldVolume(VolumeIdentity identity, String claimUid);

    /**
     * @param phase the PersistentVolume's phase (Released, or Bound/Pending to the earlier claim)
     * @param claimUid the uid in its claimRef: the earlier claim's
     */
    record HeldVolume(String name, String phase, String claimUid) {
        public boolean released() {
            return "Released".equals(phase);
        }
    }

    /**
     * @param uid the claim's uid: a claim deleted and made again keeps its name, not its uid
     * @param ownerStatefulSet the name in the claim's owner reference to a StatefulSet (apps/v1), if it has one
     */
    record Claim(String namespace, String name, String uid, Map<String, String> annotations,
            Optional<String> ownerStatefulSet) {
        public Claim {
            annotations = Map.copyOf(annotations);
        }
    }

    /**
     * @param startOrdinal {@code spec.ordinals.start}: the lowest ordinal the StatefulSet has (0 unless set)
     */
    record StatefulSet(String namespace, String name, Set<String> claimTemplates, Map<String, String> annotations,
            int startOrdinal) {
        public StatefulSet {
            claimTemplates = Set.copyOf(claimTemplates);
            annotations = Map.copyOf(annotations);
        }
    }
}
