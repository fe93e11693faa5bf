package dev.ordinal.e2e;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.crud.AttributeSet;
import java.util.List;

/**
 * The test API server's store (fabric8's CRUD dispatcher) that tells the {@link History} what it stores, at the moment
 * it stores it: the server calls {@link #processEvent} for every write while it holds its write lock, so the tick
 * drawn here comes before any reader (or watcher) can see the new state. "Claim 0 was Bound" is then when the API
 * server made it so, as etcd's revision would say, not when the component that wrote it got its answer back: anything
 * that reacted to the Bound claim has a later tick.
 */
final class RecordingDispatcher extends KubernetesCrudDispatcher {

    private final History history;

    RecordingDispatcher(History history) {
        super(List.of());
        this.history = history;
    }

    @Override
    public void processEvent(String path, AttributeSet pathAttributes, AttributeSet oldAttributes,
            GenericKubernetesResource resource, String newState) {
        long at = history.tick();
        super.processEvent(path, pathAttributes, oldAttributes, resource, newState);
        if (newState != null && (path.contains("/persistentvolumeclaims") || path.contains("/ordinalvolumes"))) {
            history.stored(at, Serialization.unmarshal(newState, GenericKubernetesResource.class),
                    oldAttributes == null);
        }
    }
}
