package dev.ordinal.controller.kube;

import dev.ordinal.controller.retention.ClaimAction;
import dev.ordinal.controller.retention.ClaimAction.CancelGrace;
import dev.ordinal.controller.retention.ClaimAction.Delete;
import dev.ordinal.controller.retention.ClaimAction.Keep;
import dev.ordinal.controller.retention.ClaimAction.LeaveAlone;
import dev.ordinal.controller.retention.ClaimAction.SetOwners;
import dev.ordinal.controller.retention.ClaimAction.StartGrace;
import dev.ordinal.controller.retention.OwnerRef;
import dev.ordinal.controller.retention.StatefulSetState;
import dev.ordinal.controller.retention.StatefulSetState.Lifecycle;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Applies one {@link ClaimAction} to its claim: JSON merge patches that carry the resourceVersion the plan was
 * made from (a concurrent change answers 409 Conflict, and the reconcile is retried on fresh state), deletions
 * guarded by a fresh read of the StatefulSet and Pod and preconditioned on the claim's resourceVersion. Each
 * change leaves an Event and counts in {@code ordinal_controller_retention_actions_total}.
 */
final class ClaimWriter {

    private static final Logger LOG = Logger.getLogger(ClaimWriter.class);

    private final KubernetesClient client;
    private final EventRecorder events;
    private final ControllerMetrics metrics;

    ClaimWriter(KubernetesClient client, EventRecorder events, ControllerMetrics metrics) {
        this.client = client;
        this.events = events;
        this.metrics = metrics;
    }

    /** Applies the action; false when a guard refused it (the caller looks again later). */
    boolean apply(StatefulSetState set, Optional<StatefulSet> setObject, PersistentVolumeClaim claim, ClaimAction action) {
        return switch (action) {
            case Keep keep -> true;
            case LeaveAlone leave -> true;
            case SetOwners owners -> setOwners(claim, owners);
            case StartGrace start -> startGrace(set, claim, start);
            case CancelGrace cancel -> cancelGrace(setObject, claim);
            case Delete delete -> delete(set, setObject, claim, delete);
        };
    }

    private boolean setOwners(PersistentVolumeClaim claim, SetOwners action) {
        List<OwnerReference> current = claim.getMetadata().getOwnerReferences() == null ? List.of()
                : claim.getMetadata().getOwnerReferences();
        List<OwnerReference> refs = new ArrayList<>();
        for (OwnerRef ref : action.owners()) {
            refs.add(current.stream().filter(existing -> KubeModel.owner(existing).equals(ref)).findFirst()
                    .orElseGet(() -> new OwnerReferenceBuilder().withApiVersion(ref.apiVersion()).withKind(ref.kind())
                            .withName(ref.name()).withUid(ref.uid()).withController(ref.controller())
                            .withBlockOwnerDeletion(true).build()));
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("resourceVersion", claim.getMetadata().getResourceVersion());
        metadata.put("ownerReferences", refs);
        patch(claim, metadata);
        String owners = action.owners().stream().filter(r -> action.claim().statefulSet().equals(r.name())
                || action.claim().podName().equals(r.name())).map(r -> r.kind() + " " + r.name()).toList().toString();
        events.normal(claim, "OwnerReferencesSet", "Retention (" + action.rule() + "): owners of ours now " + owners);
        metrics.action("set-owners");
        return true;
    }

    private boolean startGrace(StatefulSetState set, PersistentVolumeClaim claim, StartGrace action) {
        Map<String, Object> annotations = new HashMap<>();
        annotations.put(KubeModel.SCALED_DOWN_SINCE, action.since().toString());
        patch(claim, Map.of("resourceVersion", claim.getMetadata().getResourceVersion(), "annotations", annotations));
        events.normal(claim, "ScaleDownGraceStarted", "Scaled down: deleted after " + set.grace().duration().orElseThrow()
                + " unless " + set.name() + " scales back up to include ordinal " + action.claim().ordinal());
        metrics.action("grace-started");
        return true;
    }

    private boolean cancelGrace(Optional<StatefulSet> set, PersistentVolumeClaim claim) {
        ObjectNode metadata = Serialization.jsonMapper().createObjectNode();
        metadata.put("resourceVersion", claim.getMetadata().getResourceVersion());
        metadata.putObject("annotations").putNull(KubeModel.SCALED_DOWN_SINCE);
        patch(claim, metadata);
        String message = "Deletion of " + claim.getMetadata().getName() + " cancelled: back in range, or no longer to be deleted";
        events.normal(claim, "ScaleDownCancelled", message);
        set.ifPresent(s -> events.normal(s, "ScaleDownCancelled", message));
        metrics.action("grace-cancelled");
        return true;
    }

    private boolean delete(StatefulSetState set, Optional<StatefulSet> setObject, PersistentVolumeClaim claim, Delete action) {
        String namespace = claim.getMetadata().getNamespace();
        String name = claim.getMetadata().getName();
        // Guards, on fresh reads rather than the informers' caches: never a claim below start + replicas.
        StatefulSet fresh = client.apps().statefulSets().inNamespace(namespace).withName(set.name()).get();
        if (set.lifecycle() == Lifecycle.GONE) {
            if (fresh != null) {
                LOG.infof("Not deleting %s/%s: StatefulSet %s exists again", namespace, name, set.name());
                return false;
            }
        } else {
            if (fresh == null || !fresh.getMetadata().getUid().equals(set.uid())) {
                LOG.infof("Not deleting %s/%s: StatefulSet %s changed", namespace, name, set.name());
                return false;
            }
            StatefulSetState now = KubeModel.state(fresh, Map.of());
            if (action.claim().ordinal() < now.end() || !now.policy().deleteWhenScaled()
                    || now.lifecycle() != Lifecycle.LIVE) {
                LOG.infof("Not deleting %s/%s: ordinal %d is in range or policy changed", namespace, name,
                        action.claim().ordinal());
                return false;
            }
            if (client.pods().inNamespace(namespace).withName(action.claim().podName()).get() != null) {
                LOG.infof("Not deleting %s/%s: its Pod exists", namespace, name);
                return false;
            }
        }
        client.persistentVolumeClaims().inNamespace(namespace).withName(name)
                .lockResourceVersion(claim.getMetadata().getResourceVersion()).delete();
        String message = "Deleted claim " + name + " (" + action.rule() + ")";
        events.normal(claim, "ClaimDeleted", message);
        setObject.ifPresent(s -> events.normal(s, "ClaimDeleted", message));
        metrics.action("delete");
        return true;
    }

    private void patch(PersistentVolumeClaim claim, Object metadata) {
        String json = Serialization.asJson(Map.of("metadata", metadata));
        client.persistentVolumeClaims().inNamespace(claim.getMetadata().getNamespace())
                .withName(claim.getMetadata().getName()).patch(PatchContext.of(PatchType.JSON_MERGE), json);
    }
}
