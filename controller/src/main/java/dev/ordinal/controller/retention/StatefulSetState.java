package dev.ordinal.controller.retention;

import java.util.Map;
import java.util.Set;

/**
 * What retention needs of one StatefulSet: its identity, replica range, policy, grace annotation, and the uids of
 * the Pods that exist now, by ordinal. A StatefulSet that no longer exists is {@link Lifecycle#GONE}; one with a
 * deletion timestamp is {@link Lifecycle#DELETING}. {@code snapshots} is its snapshot-before-delete annotation and
 * {@code finalizers} its metadata.finalizers (ours holds its deletion until the snapshots are ready; {@code orphan}
 * says the garbage collector is orphaning its claims).
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
        Set<String> finalizers) {

    public enum Lifecycle { LIVE, DELETING, GONE }

    public StatefulSetState {
        podUids = Map.copyOf(podUids);
        finalizers = Set.copyOf(finalizers);
    }

    /** A StatefulSet without snapshot-before-delete and without finalizers. */
    public StatefulSetState(String namespace, String name, Lifecycle lifecycle, String uid, int replicas,
            int startOrdinal, RetentionPolicy policy, ScaleDownGrace grace, Map<Integer, String> podUids) {
        this(namespace, name, lifecycle, uid, replicas, startOrdinal, policy, grace, podUids, SnapshotBeforeDelete.OFF,
                Set.of());
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
