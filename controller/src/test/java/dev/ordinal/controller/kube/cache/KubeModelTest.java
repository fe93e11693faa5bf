package dev.ordinal.controller.kube.cache;

import dev.ordinal.contract.Annotations;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ordinal.controller.retention.RetentionPolicy;
import dev.ordinal.controller.retention.StatefulSetState;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The retention policy read from a StatefulSet as the API server returns it. Since Kubernetes 1.32 the API server
 * fills in {@code persistentVolumeClaimRetentionPolicy} (Retain/Retain) when a StatefulSet leaves it out, so the field
 * is always there, and Kubernetes' StatefulSet controller applies it (seen on a real 1.36 cluster, RealRetentionTest).
 */
class KubeModelTest {

    @Test
    void withoutTheSpecFieldBothAnnotationsGiveThePolicyAndNoStatefulSetControllerAppliesOne() {
        StatefulSetState state = KubeModel.state(set(null, null, Map.of(Annotations.WHEN_DELETED, "Delete",
                Annotations.WHEN_SCALED, "Delete")), Map.of());
        assertEquals(RetentionPolicy.of("Delete", "Delete"), state.policy());
        assertEquals(Optional.empty(), state.specPolicy());
    }

    @Test
    void whenScaledDeleteByAnnotationAppliesOverASpecSayingRetainAndWhenDeletedByAnnotationDoesNot() {
        StatefulSetState state = KubeModel.state(set("Retain", "Retain", Map.of(Annotations.WHEN_DELETED, "Delete",
                Annotations.WHEN_SCALED, "Delete")), Map.of());
        assertEquals(RetentionPolicy.of("Retain", "Delete"), state.policy(),
                "whenDeleted=Delete would need a StatefulSet reference, which the StatefulSet controller removes");
        assertEquals(Optional.of(RetentionPolicy.of("Retain", "Retain")), state.specPolicy());
        assertEquals(true, state.builtInRemovesPodReferences());
    }

    @Test
    void theSpecsDeleteWinsOverAnAnnotationSayingRetain() {
        StatefulSetState state = KubeModel.state(set("Delete", "Delete", Map.of(Annotations.WHEN_DELETED, "Retain",
                Annotations.WHEN_SCALED, "Retain")), Map.of());
        assertEquals(RetentionPolicy.of("Delete", "Delete"), state.policy());
        assertEquals(true, state.builtInDeletesScaledDown());
    }

    private static StatefulSet set(String whenDeleted, String whenScaled, Map<String, String> annotations) {
        StatefulSetBuilder builder = new StatefulSetBuilder().withNewMetadata().withNamespace("ns").withName("web")
                .withUid("uid").withAnnotations(annotations).endMetadata().withNewSpec().withReplicas(2).endSpec();
        if (whenDeleted != null) {
            builder.editSpec().withNewPersistentVolumeClaimRetentionPolicy().withWhenDeleted(whenDeleted)
                    .withWhenScaled(whenScaled).endPersistentVolumeClaimRetentionPolicy().endSpec();
        }
        return builder.build();
    }
}
