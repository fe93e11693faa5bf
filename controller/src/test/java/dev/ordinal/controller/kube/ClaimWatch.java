package dev.ordinal.controller.kube;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Watches the claims of one namespace for the whole of a test: writes each claim's deletion (the first sight of a
 * deletion timestamp, or its removal) to the {@link Timeline} as {@code deleted <claim>}, counts them per claim
 * uid, and checks at that moment that the claim's ordinal is at or above its StatefulSet's replica count, read
 * fresh (claims of sets that are gone or being deleted excepted). Claims are {@code data-<set>-<ordinal>}, as the
 * {@link StatefulSetEmulator} makes them.
 */
final class ClaimWatch implements AutoCloseable {

    private final KubernetesClient client;
    private final String namespace;
    private final Timeline timeline;
    private final Set<String> deletedUids = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> deletionsByName = new ConcurrentHashMap<>();
    private final List<String> violations = new ArrayList<>();
    private final Watch watch;

    ClaimWatch(KubernetesClient client, String namespace, Timeline timeline) {
        this.client = client;
        this.namespace = namespace;
        this.timeline = timeline;
        this.watch = client.persistentVolumeClaims().inNamespace(namespace).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, PersistentVolumeClaim claim) {
                if (action == Action.DELETED || claim.getMetadata().getDeletionTimestamp() != null) {
                    deleted(claim);
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        });
    }

    private void deleted(PersistentVolumeClaim claim) {
        if (!deletedUids.add(claim.getMetadata().getUid())) {
            return;
        }
        String name = claim.getMetadata().getName();
        timeline.add("deleted " + name);
        deletionsByName.merge(name, 1, Integer::sum);
        int dash = name.lastIndexOf('-');
        String set = name.substring("data-".length(), dash);
        int ordinal = Integer.parseInt(name.substring(dash + 1));
        StatefulSet fresh = client.apps().statefulSets().inNamespace(namespace).withName(set).get();
        if (fresh != null && fresh.getMetadata().getDeletionTimestamp() == null) {
            int start = fresh.getSpec().getOrdinals() == null || fresh.getSpec().getOrdinals().getStart() == null
                    ? 0 : fresh.getSpec().getOrdinals().getStart();
            if (ordinal >= start && ordinal < start + fresh.getSpec().getReplicas()) {
                synchronized (violations) {
                    violations.add(name + " deleted while " + set + " has " + fresh.getSpec().getReplicas() + " replicas");
                }
            }
        }
    }

    /** Claims deleted although their ordinal was in range when it happened. */
    List<String> violations() {
        synchronized (violations) {
            return List.copyOf(violations);
        }
    }

    /** How many distinct claims of this name were deleted. */
    int deletions(String claimName) {
        return deletionsByName.getOrDefault(claimName, 0);
    }

    @Override
    public void close() {
        watch.close();
    }
}
