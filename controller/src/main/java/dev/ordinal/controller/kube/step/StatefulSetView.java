package dev.ordinal.controller.kube.step;

import dev.ordinal.controller.kube.cache.ClusterCache;
import dev.ordinal.controller.model.OrdinalClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What one reconcile of one StatefulSet key sees. {@code set} is empty when the StatefulSet is gone (its leftovers
 * are still reconciled: retention deletes what it controlled). {@code templates} are its Ordinal templates and
 * {@code claims} the cached claims named after them ({@code <template>-<set>-<ordinal>}); both empty when the set
 * is gone or is not Ordinal's.
 */
public record StatefulSetView(String namespace, String name, Optional<StatefulSet> set, List<String> templates,
        List<TemplateClaim> claims, ClusterCache cache, Instant now) {

    /** A claim of one of the set's templates, as cached. */
    public record TemplateClaim(OrdinalClaim id, PersistentVolumeClaim claim) {
    }

    boolean ordinalSet() {
        return set.isPresent() && !templates.isEmpty();
    }

    String key() {
        return namespace + "/" + name;
    }
}
