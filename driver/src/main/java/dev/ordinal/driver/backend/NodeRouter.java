package dev.ordinal.driver.backend;

import java.util.List;

/**
 * Which backend a Node RPC is for: the first that owns its volume id, else the default backend, which answers for
 * ids no backend made (NOT_FOUND).
 */
public final class NodeRouter {

    private final NodeBackend fallback;
    private final List<NodeBackend> claimed;

    /**
     * @param fallback the default backend: local disks
     * @param claimed  the backends that recognize their ids, asked in this order
     */
    public NodeRouter(NodeBackend fallback, List<NodeBackend> claimed) {
        this.fallback = fallback;
        this.claimed = List.copyOf(claimed);
    }

    public NodeBackend forVolume(String volumeId) {
        return claimed.stream().filter(b -> b.ownsVolume(volumeId)).findFirst().orElse(fallback);
    }
}
