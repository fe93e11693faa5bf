package dev.ordinal.controller.kube.write;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import java.util.Map;

/**
 * Writes one annotation on a claim for the driver to read (admission, placement): a merge patch conditional on the
 * resourceVersion the decision was made from ({@link Writes}), so a claim that changed meanwhile answers 409 Conflict
 * and the reconcile decides again on fresh state, as {@link ClaimWriter} does for retention.
 */
public final class ClaimAnnotator {

    private final Writes writes;

    public ClaimAnnotator(Writes writes) {
        this.writes = writes;
    }

    public void annotate(PersistentVolumeClaim claim, String key, String value) {
        writes.mergePatch(claim, Map.of("metadata", Map.of("annotations", Map.of(key, value))));
    }

    /** A claim's annotation, or null. */
    public static String annotation(PersistentVolumeClaim claim, String key) {
        Map<String, String> annotations = claim.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }
}
