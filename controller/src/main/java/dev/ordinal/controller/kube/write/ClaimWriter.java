package dev.ordinal.controller.kube.write;

import dev.ordinal.contract.Annotations;
import dev.ordinal.controller.kube.cache.KubeModel;
import dev.ordinal.controller.kube.metrics.ControllerMetrics;
import dev.ordinal.controller.retention.ClaimAction.AddSnapshotFinalizer;
import dev.ordinal.controller.retention.ClaimAction.AwaitSnapshot;
import dev.ordinal.controller.retention.ClaimAction.CancelGrace;
import dev.ordinal.controller.retention.ClaimAction.Delete;
import dev.ordinal.controller.retention.ClaimAction.Keep;
import dev.ordinal.controller.retention.ClaimAction.LeaveAlone;
import dev.ordinal.controller.retention.ClaimAction.RemoveSnapshotFinalizer;
import dev.ordinal.controller.retention.ClaimAction.RequestSnapshot;
import dev.ordinal.controller.retention.ClaimAction.SetOwners;
import dev.ordinal.controller.retention.ClaimAction.StartGrace;
import dev.ordinal.controller.retention.ClaimAction;
import dev.ordinal.controller.retention.OwnerRef;
import dev.ordinal.controller.retention.Retention;
import dev.ordinal.controller.retention.RetentionPlan.SetFinalizer;
import dev.ordinal.controller.retention.Rule;
import dev.ordinal.controller.retention.StatefulSetState.Lifecycle;
import dev.ordinal.controller.retention.StatefulSetState;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Applies one {@link ClaimAction} to its claim through {@link Writes}: patches conditional on the resourceVersion the
 * plan was made from (a concurrent change answers 409 Conflict, and the reconcile is retried on fresh state),
 * deletions only where retention, planned again on fresh reads of the StatefulSet and Pod, still says so, and
 * preconditioned on the claim's resourceVersion. Each change leaves an Event and counts in
 * {@code ordinal_controller_retention_actions_total}. Snapshot-before-delete's VolumeSnapshots go through
 * {@link SnapshotWriter}. Nothing is written once this instance no longer leads: a
 * reconcile that was running when the Lease was lost stops at its next write instead of racing the new leader.
 */
public final class ClaimWriter {

    private static final Logger LOG = Logger.getLogger(ClaimWriter.class);

    private final KubernetesClient client;
    private final Writes writes;
    private final EventRecorder events;
    private final ControllerMetrics metrics;
    private final SnapshotWriter snapshots;

    public ClaimWriter(KubernetesClient client, Writes writes, EventRecorder events, ControllerMetrics metrics) {
        this.client = client;
        this.writes = writes;
        this.events = events;
        this.metrics = metrics;
        this.snapshots = new SnapshotWriter(client, writes, events, metrics);
    }

    /** Applies the action; false when a guard refused it (the caller looks again later). */
    public boolean apply(StatefulSetState set, Optional<StatefulSet> setObject, PersistentVolumeClaim claim, ClaimAction action,
            Instant now) {
        if (!writes.leading()) {
            LOG.debugf("Not applying %s to %s: no longer leading", action.getClass().getSimpleName(), action.claim().claimName());
            return false;
        }
        return switch (action) {
            case Keep keep -> true;
            case LeaveAlone leave -> true;
            case SetOwners owners -> setOwners(claim, owners);
            case StartGrace start -> startGrace(set, claim, start);
            case CancelGrace cancel -> cancelGrace(setObject, claim);
            case Delete delete -> delete(set, setObject, claim, delete, now);
            case AddSnapshotFinalizer add -> addSnapshotFinalizer(set, claim);
            case RemoveSnapshotFinalizer remove -> removeSnapshotFinalizer(setObject, claim, remove);
            case RequestSnapshot request -> snapshots.request(set, setObject, claim, request);
            case AwaitSnapshot await -> snapshots.reportFailure(setObject, claim, await);
        };
    }

    /** The StatefulSet's own snapshot-before-delete finalizer: added while the annotation is on, removed after. */
    public boolean applySet(StatefulSet set, SetFinalizer change) {
        if (!writes.leading()) {
            return false;
        }
        writes.replaceList(set, set.getMetadata().getResourceVersion(), "finalizers",
                withFinalizer(set, change.hold()));
        if (change.hold()) {
            events.normal(set, "SnapshotFinalizerAdded", "Deleting StatefulSet " + set.getMetadata().getName()
                    + " waits until the claims that go with it have ready snapshots ("
                    + Annotations.SNAPSHOT_BEFORE_DELETE + ")");
            metrics.action("set-held");
        } else {
            events.normal(set, "SnapshotFinalizerRemoved", "StatefulSet " + set.getMetadata().getName() + " no longer waits for snapshots: "
                    + (change.rule() == Rule.SNAPSHOT_READY ? "every claim that goes with it has a ready snapshot"
                            : Annotations.SNAPSHOT_BEFORE_DELETE + " was removed"));
            metrics.action("set-released");
        }
        return true;
    }

    private boolean addSnapshotFinalizer(StatefulSetState set, PersistentVolumeClaim claim) {
        if (!patchFinalizers(claim, claim.getMetadata().getResourceVersion(), withFinalizer(claim, true))) {
            return true;
        }
        events.normal(claim, "SnapshotFinalizerAdded", "Claim " + claim.getMetadata().getName()
                + " is kept until a snapshot of it is ready to use (" + Annotations.SNAPSHOT_BEFORE_DELETE
                + " on StatefulSet "
                + set.name() + ": " + set.snapshots().describeClass() + ")");
        metrics.action("snapshot-finalizer-added");
        return true;
    }

    private boolean removeSnapshotFinalizer(Optional<StatefulSet> setObject, PersistentVolumeClaim claim,
            RemoveSnapshotFinalizer action) {
        if (!patchFinalizers(claim, claim.getMetadata().getResourceVersion(), withFinalizer(claim, false))) {
            return true;
        }
        if (action.rule() == Rule.SNAPSHOT_READY) {
            snapshots.ready(setObject, claim, action.state(), false);
        } else {
            events.normal(claim, "SnapshotFinalizerRemoved", "Claim " + claim.getMetadata().getName()
                    + " no longer waits for a snapshot: " + (action.rule() == Rule.SNAPSHOT_OFF
                            ? Annotations.SNAPSHOT_BEFORE_DELETE + " was removed from its StatefulSet"
                            : "it outlives its StatefulSet's deletion"));
        }
        metrics.action("snapshot-finalizer-removed");
        return true;
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
        writes.replaceList(claim, claim.getMetadata().getResourceVersion(), "ownerReferences", refs);
        String owners = action.owners().stream().filter(r -> action.claim().statefulSet().equals(r.name())
                || action.claim().podName().equals(r.name())).map(r -> r.kind() + " " + r.name()).toList().toString();
        events.normal(claim, "OwnerReferencesSet", "Retention (" + action.rule() + "): owners of ours now " + owners);
        metrics.action("set-owners");
        return true;
    }

    private boolean startGrace(StatefulSetState set, PersistentVolumeClaim claim, StartGrace action) {
        Map<String, Object> annotations = new HashMap<>();
        annotations.put(Annotations.SCALED_DOWN_SINCE, action.since().toString());
        writes.mergePatch(claim, Map.of("metadata", Map.of("annotations", annotations)));
        events.normal(claim, "ScaleDownGraceStarted", "Scaled down: deleted after " + set.grace().duration().orElseThrow()
                + " unless " + set.name() + " scales back up to include ordinal " + action.claim().ordinal());
        metrics.action("grace-started");
        return true;
    }

    private boolean cancelGrace(Optional<StatefulSet> set, PersistentVolumeClaim claim) {
        ObjectNode change = Writes.change();
        change.putObject("metadata").putObject("annotations").putNull(Annotations.SCALED_DOWN_SINCE);
        writes.mergePatch(claim, change);
        String message = "Deletion of " + claim.getMetadata().getName() + " cancelled: back in range, or no longer to be deleted";
        events.normal(claim, "ScaleDownCancelled", message);
        set.ifPresent(s -> events.normal(s, "ScaleDownCancelled", message));
        metrics.action("grace-cancelled");
        return true;
    }

    /**
     * Deletes the claim only if retention, planned again on fresh state, still says so. The plan was made from the
     * informers' caches, which may be behind (a scale-up, a Pod created again, a policy changed): so the StatefulSet
     * and the claim's Pod are read fresh and {@link Retention#plan} is run on them, never a rule re-coded here. The
     * claim itself needs no fresh read: the delete is preconditioned on the resourceVersion the plan saw, so a claim
     * changed since answers 409 Conflict and the reconcile is retried.
     */
    private boolean delete(StatefulSetState set, Optional<StatefulSet> setObject, PersistentVolumeClaim claim, Delete planned,
            Instant now) {
        String namespace = claim.getMetadata().getNamespace();
        String name = claim.getMetadata().getName();
        StatefulSet fresh = client.apps().statefulSets().inNamespace(namespace).withName(set.name()).get();
        // The plan is about one StatefulSet: one re-created under the same name is another's, planned afresh next time.
        if (set.lifecycle() == Lifecycle.GONE ? fresh != null
                : fresh == null || !fresh.getMetadata().getUid().equals(set.uid())) {
            LOG.infof("Not deleting %s/%s: StatefulSet %s %s", namespace, name, set.name(),
                    set.lifecycle() == Lifecycle.GONE ? "exists again" : "changed");
            return false;
        }
        Pod pod = client.pods().inNamespace(namespace).withName(planned.claim().podName()).get();
        Map<Integer, String> podUids = pod == null ? Map.of() : Map.of(planned.claim().ordinal(), pod.getMetadata().getUid());
        StatefulSetState current = fresh == null ? StatefulSetState.gone(namespace, set.name(), podUids)
                : KubeModel.state(fresh, podUids);
        ClaimAction replanned = Retention.plan(current, List.of(planned.state()), now).actions().getFirst();
        if (!(replanned instanceof Delete action)) {
            LOG.infof("Not deleting %s/%s: on fresh state retention says %s (%s)", namespace, name,
                    replanned.getClass().getSimpleName(), replanned.rule());
            return false;
        }
        boolean snapshotted = action.state().snapshotFinalizer() || current.snapshots().enabled();
        if (snapshotted) {
            Optional<String> notReady = snapshots.notReady(claim, action.state());
            if (notReady.isPresent()) {
                LOG.infof("Not deleting %s/%s: %s", namespace, name, notReady.get());
                return false;
            }
        }
        if (!writes.delete(claim)) {
            // Gone already (another leader, the garbage collector): not ours to report.
            LOG.infof("Claim %s/%s was deleted already", namespace, name);
            return true;
        }
        if (snapshotted) {
            snapshots.ready(setObject, claim, action.state(), true);
        }
        String message = "Deleted claim " + name + " (" + action.rule() + ")"
                + (snapshotted ? " after its snapshot " + action.state().snapshot().name() + " became ready" : "");
        events.normal(claim, "ClaimDeleted", message);
        setObject.ifPresent(s -> events.normal(s, "ClaimDeleted", message));
        metrics.action("delete");
        if (snapshotted) {
            releaseDeleted(namespace, name);
        }
        return true;
    }

    /**
     * Our finalizer off a claim just deleted: read fresh, for the resourceVersion the deletion gave it. A conflict is
     * left to the next reconcile, which finds the claim deleting with a ready snapshot and removes it then.
     */
    private void releaseDeleted(String namespace, String name) {
        PersistentVolumeClaim deleted = client.persistentVolumeClaims().inNamespace(namespace).withName(name).get();
        if (deleted == null || !KubeModel.hasSnapshotFinalizer(deleted)) {
            return;
        }
        try {
            patchFinalizers(deleted, deleted.getMetadata().getResourceVersion(), withFinalizer(deleted, false));
        } catch (KubernetesClientException e) {
            LOG.debugf("Finalizer of %s/%s left to the next reconcile: %s", namespace, name, e.getMessage());
        }
    }

    /** False when the claim is gone already (the cache was behind): nothing left to hold or release. */
    private boolean patchFinalizers(PersistentVolumeClaim claim, String resourceVersion, List<String> finalizers) {
        return writes.replaceListIfPresent(claim, resourceVersion, "finalizers", finalizers);
    }

    /** The object's finalizers with ours added or removed, the others as they are. */
    private static List<String> withFinalizer(HasMetadata object, boolean present) {
        List<String> finalizers = new ArrayList<>(object.getMetadata().getFinalizers() == null ? List.of()
                : object.getMetadata().getFinalizers());
        finalizers.remove(Annotations.SNAPSHOT_BEFORE_DELETE);
        if (present) {
            finalizers.add(Annotations.SNAPSHOT_BEFORE_DELETE);
        }
        return finalizers;
    }

}
