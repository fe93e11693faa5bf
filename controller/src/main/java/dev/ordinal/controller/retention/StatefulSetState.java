package dev.ordinal.controller.retention;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What retention needs of one StatefulSet: its identity, replica range, policy, grace annotation, and the uids of
 * the Pods that exist now, by ordinal. A StatefulSet that no longer exists is {@link Lifecycle#GONE}; one with a
 * deletion timestamp is {@link Lifecycle#DELETING}. {@code snapshots} is its snapshot-before-delete annotation and
 * {@code finalizers} its metadata.finalizers (ours holds its deletion until the snapshots are ready; {@code orphan}
 * says the garbage collector is orphaning its claims). {@code specPolicy} is the policy Kubernetes' own StatefulSet
 * controller applies: the spec field where the API server keeps it (since 1.32 always, filled in with Retain/Retain
 * when left out), empty where the API server drops it (the feature gate off); {@code policy} is what retention
 * applies, which may add whenScaled=Delete by annotation on top of a spec that says Retain.
 */
public record StatefulSetState(
        String namespace,
        String name,
        Lifecycle lifecycle,
        String uid,
        int replicas,
        int startOrdinal,
        RetentionPolicy policy,
        ScaleDownGrace grace,
        Map<Integer, String> podUids,
        SnapshotBeforeDelete snapshots,
        Set<String> finalizers,
        Optional<RetentionPolicy> specPolicy) {

    public enum Lifecycle { LIVE, DELETING, GONE }

    public StatefulSetState {
        podUids = Map.copyOf(podUids);
        finalizers = Set.copyOf(finalizers);
    }

    /** A StatefulSet where no StatefulSet controller applies the spec's policy (the API server dropped it). */
    public StatefulSetState(String namespace, String name, Lifecycle lifecycle, String uid, int replicas,
            int startOrdinal, RetentionPolicy policy, ScaleDownGrace grace, Map<Integer, String> podUids,
            SnapshotBeforeDelete snapshots, Set<String> finalizers) {
        this(namespace, name, lifecycle, uid, replicas, startOrdinal, policy, grace, podUids, snapshots, finalizers,
                Optional.empty());
    }

    /** A StatefulSet without snapshot-before-delete and without finalizers. */
    public StatefulSetState(String namespace, String name, Lifecycle lifecycle, String uid, int replicas,
            int startOrdinal, RetentionPolicy policy, ScaleDownGrace grace, Map<Integer, String> podUids) {
        this(namespace, name, lifecycle, uid, replicas, startOrdinal, policy, grace, podUids, SnapshotBeforeDelete.OFF,
                Set.of());
    }

    /** The same StatefulSet with Kubernetes' StatefulSet controller applying {@code spec} (the field kept). */
    public StatefulSetState withSpecPolicy(RetentionPolicy spec) {
        return new StatefulSetState(namespace, name, lifecycle, uid, replicas, startOrdinal, policy, grace, podUids,
                snapshots, finalizers, Optional.of(spec));
    }

    /**
     * whenScaled=Delete in the spec: Kubernetes' StatefulSet controller makes a scaled-down claim's Pod its owner at
     * scale-down and the garbage collector deletes the claim with the Pod. Nothing here can hold that back.
     */
    public boolean builtInDeletesScaledDown() {
        return specPolicy.map(RetentionPolicy::deleteWhenScaled).orElse(false);
    }

    /**
     * whenScaled=Retain in a spec that Kubernetes' StatefulSet controller applies: it removes any Pod reference from
     * the claims of its scaled-down Pods, so a whenScaled=Delete given by annotation cannot go through the garbage
     * collector; the claim is deleted here once its Pod is gone.
     */
    public boolean builtInRemovesPodReferences() {
        return specPolicy.isPresent() && !specPolicy.get().deleteWhenScaled();
    }

    public static StatefulSetState gone(String namespace, String name, Map<Integer, String> podUids) {
        return new StatefulSetState(namespace, name, Lifecycle.GONE, "", 0, 0, RetentionPolicy.RETAIN_ALL,
                ScaleDownGrace.NONE, podUids);
    }

    /** One past the highest ordinal in the replica range: claims at or above it are scaled down. */
    public int end() {
        return startOrdinal + replicas;
    }

    public String key() {
        return namespace + "/" + name;
    }
}
