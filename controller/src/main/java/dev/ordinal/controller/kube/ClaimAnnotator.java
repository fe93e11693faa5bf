package dev.ordinal.controller.kube;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Map;

/**
 * Writes one annotation on a claim for the driver to read (admission, placement): a JSON merge patch carrying the
 * resourceVersion the decision was made from, so a claim that changed meanwhile answers 409 Conflict and the
 * reconcile decides again on fresh state, as {@link ClaimWriter} does for retention.
 */
final class ClaimAnnotator {

    private final KubernetesClient client;

    ClaimAnnotator(KubernetesClient client) {
        this.client = client;
    }

    void annotate(PersistentVolumeClaim claim, String key, String value) {
        String json = Serialization.asJson(Map.of("metadata", Map.of(
                "resourceVersion", claim.getMetadata().getResourceVersion(),
                "annotations", Map.of(key, value))));
        client.persistentVolumeClaims().inNamespace(claim.getMetadata().getNamespace())
                .withName(claim.getMetadata().getName()).patch(PatchContext.of(PatchType.JSON_MERGE), json);
    }

    /** A claim's annotation, or null. */
    static String annotation(PersistentVolumeClaim claim, String key) {
        Map<String, String> annotations = claim.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }
}
