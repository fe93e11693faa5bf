package dev.ordinal.controller.retention;

import java.util.Map;

/**
 * What retention needs of one StatefulSet: its identity, replica range, policy, grace annotation, and the uids of
 * the Pods that exist now, by ordinal. A StatefulSet that no longer exists is {@link Lifecycle#GONE}; one with a
 * deletion timestamp is {@link Lifecycle#DELETING}.
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
        Map<Integer, String> podUids) {

    public enum Lifecycle { LIVE, DELETING, GONE }

    public StatefulSetState {
        podUids = Map.copyOf(podUids);
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
