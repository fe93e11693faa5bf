package dev.ordinal.controller.kube.write;

import dev.ordinal.contract.Annotations;
import dev.ordinal.controller.kube.cache.VolumeSnapshots;
import dev.ordinal.controller.kube.metrics.ControllerMetrics;
import dev.ordinal.controller.retention.ClaimAction.AwaitSnapshot;
import dev.ordinal.controller.retention.ClaimAction.RequestSnapshot;
import dev.ordinal.controller.retention.ClaimSnapshot;
import dev.ordinal.controller.retention.ClaimState;
import dev.ordinal.controller.retention.Rule;
import dev.ordinal.controller.retention.StatefulSetState;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The Kubernetes side of snapshot-before-delete: creates the VolumeSnapshots the plan asks for, reads one fresh
 * before a claim is let go, and reports: Events {@code SnapshotRequested}, {@code SnapshotReady} and (Warning)
 * {@code SnapshotFailed} on the claim and its StatefulSet, and {@code ordinal_controller_snapshots_total{result}}.
 */
public final class SnapshotWriter {

    private static final Logger LOG = Logger.getLogger(SnapshotWriter.class);
    private static final int REMEMBERED_FAILURES = 10_000;
    /** The snapshot-controller's finalizer on the claim a snapshot is being taken of. */
    static final String SOURCE_PROTECTION = "snapshot.storage.kubernetes.io/pvc-as-source-protection";

    private final KubernetesClient client;
    private final Writes writes;
    private final EventRecorder events;
    private final ControllerMetrics metrics;
    /**
     * Failures already reported (snapshot, claim uid, message), so that a snapshot stuck on one error gives one
     * Warning, not one per look. Bounded; a new leader reports a standing failure once more.
     */
    private final Set<String> reported = Collections.synchronizedSet(Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_FAILURES;
        }
    }));

    SnapshotWriter(KubernetesClient client, Writes writes, EventRecorder events, ControllerMetrics metrics) {
        this.client = client;
        this.writes = writes;
        this.events = events;
        this.metrics = metrics;
    }

    /** Creates the claim's VolumeSnapshot. One that exists already (a retry, a lagging cache) is fine. */
    boolean request(StatefulSetState set, Optional<StatefulSet> setObject, PersistentVolumeClaim claim, RequestSnapshot action) {
        String className = action.className().map(c -> "VolumeSnapshotClass " + c).orElse("the default VolumeSnapshotClass");
        GenericKubernetesResource snapshot = VolumeSnapshots.build(action.claim(), claim, action.snapshotName(),
                action.className(), action.rule().name());
        try {
            boolean created = writes.createIfAbsent(snapshot, () -> client
                    .genericKubernetesResources(VolumeSnapshots.CONTEXT).inNamespace(claim.getMetadata().getNamespace())
                    .resource(snapshot).create());
            if (action.rule() == Rule.SNAPSHOT_BEFORE_GC) {
                protectSource(claim);
            }
            if (!created) {
                LOG.debugf("Snapshot %s of %s exists already", action.snapshotName(), claim.getMetadata().getName());
                return true;
            }
        } catch (KubernetesClientException e) {
            String why = e.getCode() == 404
                    ? "the API server does not serve VolumeSnapshots (snapshot.storage.k8s.io/v1): install the snapshot CRDs and the snapshot controller"
                    : "the API server refused it: " + e.getMessage();
            failure(setObject, claim, action.snapshotName(), why);
            throw e;
        }
        String message = "Snapshot " + action.snapshotName() + " of claim " + claim.getMetadata().getName() + " ("
                + VolumeSnapshots.describe(action.claim(), claim) + ") requested with " + className + ": " + why(action, set);
        events.normal(claim, "SnapshotRequested", message);
        setObject.ifPresent(s -> events.normal(s, "SnapshotRequested", message));
        metrics.snapshot("requested");
        return true;
    }

    /**
     * The snapshot-controller puts its source-protection finalizer on a claim when it starts a snapshot of it, and
     * refuses to (the snapshot fails) once the claim is being deleted; a finalizer already there it takes as its own.
     * With whenScaled=Delete in the spec the garbage collector deletes the claim as soon as its Pod is gone, which
     * on a real cluster often came before the snapshot-controller got to the snapshot, so the snapshot failed and
     * the claim was kept until a person acted. Put here, right after the snapshot exists and while the claim is not
     * yet being deleted, the finalizer is in place whichever comes first; the snapshot-controller removes it once no
     * snapshot of the claim is in progress. Best effort: a claim already being deleted cannot take a new finalizer.
     */
    private void protectSource(PersistentVolumeClaim cached) {
        PersistentVolumeClaim claim = client.persistentVolumeClaims().inNamespace(cached.getMetadata().getNamespace())
                .withName(cached.getMetadata().getName()).get();
        List<String> finalizers = claim == null || claim.getMetadata().getFinalizers() == null ? List.of()
                : claim.getMetadata().getFinalizers();
        if (claim == null || claim.getMetadata().getDeletionTimestamp() != null
                || finalizers.contains(SOURCE_PROTECTION)) {
            return;
        }
        List<String> protectedFinalizers = new ArrayList<>(finalizers);
        protectedFinalizers.add(SOURCE_PROTECTION);
        try {
            writes.replaceListIfPresent(claim, claim.getMetadata().getResourceVersion(), "finalizers",
                    protectedFinalizers);
        } catch (KubernetesClientException e) {
            LOG.debugf("Source protection of %s/%s not added (%s): the snapshot-controller adds its own if in time",
                    claim.getMetadata().getNamespace(), claim.getMetadata().getName(), e.getMessage());
        }
    }

    /** A snapshot that reports an error: one Warning per distinct error. The claim stays. */
    boolean reportFailure(Optional<StatefulSet> setObject, PersistentVolumeClaim claim, AwaitSnapshot action) {
        failure(setObject, claim, action.snapshot().name(), action.snapshot().error().orElse("unknown error"));
        return true;
    }

    /**
     * Read fresh from the API server before a claim is let go: empty when the snapshot is ready to use, else why
     * not (the cache may be behind a snapshot that was deleted, or recreated).
     */
    Optional<String> notReady(PersistentVolumeClaim claim, ClaimState state) {
        String name = state.snapshot().name();
        GenericKubernetesResource fresh = client.genericKubernetesResources(VolumeSnapshots.CONTEXT)
                .inNamespace(claim.getMetadata().getNamespace()).withName(name).get();
        ClaimSnapshot snapshot = VolumeSnapshots.state(name, Optional.ofNullable(fresh));
        if (snapshot.phase() == ClaimSnapshot.Phase.READY && fresh.getMetadata().getAnnotations() != null
                && claim.getMetadata().getUid().equals(fresh.getMetadata().getAnnotations().get(VolumeSnapshots.CLAIM_UID))) {
            return Optional.empty();
        }
        return Optional.of("snapshot " + name + " is " + snapshot.phase().name().toLowerCase() + snapshot.error().map(e -> ": " + e).orElse(""));
    }

    /** The claim is let go because its snapshot is ready: deleted by retention, or its deletion allowed to go on. */
    void ready(Optional<StatefulSet> setObject, PersistentVolumeClaim claim, ClaimState state, boolean deletedHere) {
        String message = "Snapshot " + state.snapshot().name() + " of claim " + claim.getMetadata().getName() + " ("
                + VolumeSnapshots.describe(state.claim(), claim) + ") is ready to use; "
                + (deletedHere ? "the claim is deleted" : "the claim's finalizer is removed and its deletion goes on");
        events.normal(claim, "SnapshotReady", message);
        setObject.ifPresent(s -> events.normal(s, "SnapshotReady", message));
        metrics.snapshot("ready");
    }

    private void failure(Optional<StatefulSet> setObject, PersistentVolumeClaim claim, String snapshot, String error) {
        if (!reported.add(snapshot + "|" + claim.getMetadata().getUid() + "|" + error)) {
            return;
        }
        String set = setObject.map(s -> "StatefulSet " + s.getMetadata().getName()).orElse("the StatefulSet");
        String message = "Snapshot " + snapshot + " of claim " + claim.getMetadata().getName() + " failed: " + error
                + ". The claim is kept and the snapshot looked at again; to let the claim go without a snapshot, remove "
                + "the annotation " + Annotations.SNAPSHOT_BEFORE_DELETE + " from " + set + " (or the finalizer "
                + Annotations.SNAPSHOT_BEFORE_DELETE + " from the claim)";
        events.warning(claim, "SnapshotFailed", message);
        setObject.ifPresent(s -> events.warning(s, "SnapshotFailed", message));
        metrics.snapshot("failed");
    }

    private static String why(RequestSnapshot action, StatefulSetState set) {
        if (action.rule() == Rule.SNAPSHOT_BEFORE_GC) {
            return "its Pod reference lets the garbage collector delete it once Pod " + action.claim().podName() + " is gone";
        }
        if (action.rule() == Rule.SNAPSHOT_CLAIM_DELETED) {
            return "the claim is being deleted";
        }
        return switch (set.lifecycle()) {
            case LIVE -> "scaled down (" + set.name() + " has " + set.replicas() + " replicas), deleted once the snapshot is ready";
            case DELETING -> "StatefulSet " + set.name() + " is being deleted and the claim goes with it";
            case GONE -> "StatefulSet " + set.name() + " is gone and the claim goes with it (its class unknown now: the default class)";
        };
    }
}
