package dev.ordinal.controller.kube.step;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ordinal.contract.Annotations;
import dev.ordinal.controller.placement.ExistingVolume;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What placement counts as taken on a node. The claim and volume informers are separate: a placed claim can be seen
 * Bound before its volume is in the cache. It must hold its node in between, or a hard spread lets a sibling onto the
 * node (seen as PlacementClusterTest placing ordinal 3 beside ordinal 1 under load).
 */
class PlacementStepExistingVolumesTest {

    private static final StatefulSetView VIEW = new StatefulSetView("ns", "db", Optional.empty(), List.of("data"),
            List.of(), null, Instant.EPOCH);

    @Test
    void aBoundPlacedClaimHoldsItsNodeUntilItsVolumeIsCached() {
        PersistentVolumeClaim bound = claim("data-db-1", "uid-1", "n1/nvme1", "Bound");

        List<ExistingVolume> before = PlacementStep.existingVolumes(List.of(), List.of(bound), c -> Optional.empty(),
                VIEW);
        assertEquals(1, before.size(), before::toString);
        assertEquals("n1", before.getFirst().node());
        assertEquals(Optional.of("nvme1"), before.getFirst().disk());

        List<ExistingVolume> after = PlacementStep.existingVolumes(List.of(volume("pvc-1", "uid-1", "data-db-1")),
                List.of(bound), c -> Optional.empty(), VIEW);
        assertEquals(1, after.size(), "counted once, as its volume: " + after);
        assertEquals("pvc-1", after.getFirst().key());
        assertEquals("n1", after.getFirst().node());
    }

    @Test
    void aClaimBeingDeletedHoldsNothing() {
        PersistentVolumeClaim going = new PersistentVolumeClaimBuilder(claim("data-db-2", "uid-2", "n2/nvme0", "Bound"))
                .editMetadata().withDeletionTimestamp("2026-12-07T00:00:00Z").endMetadata().build();
        assertEquals(List.of(), PlacementStep.existingVolumes(List.of(), List.of(going), c -> Optional.empty(), VIEW));
    }

    private static PersistentVolumeClaim claim(String name, String uid, String placement, String phase) {
        return new PersistentVolumeClaimBuilder().withNewMetadata().withNamespace("ns").withName(name).withUid(uid)
                .addToAnnotations(Annotations.PLACEMENT, placement).endMetadata()
                .withNewSpec().withStorageClassName("ordinal-dir").withNewResources()
                .addToRequests("storage", new Quantity("1Gi")).endResources().endSpec()
                .withNewStatus().withPhase(phase).endStatus().build();
    }

    private static PersistentVolume volume(String name, String claimUid, String claimName) {
        return new PersistentVolumeBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec()
                .addToCapacity("storage", new Quantity("1Gi"))
                .withNewCsi().withDriver("ordinal.csi.dev").withVolumeHandle("local:n1:nvme1:" + name).endCsi()
                .withNewClaimRef().withNamespace("ns").withName(claimName).withUid(claimUid).endClaimRef()
                .endSpec().build();
    }
}
