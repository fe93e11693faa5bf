package dev.ordinal.controller.kube.cache;

import dev.ordinal.controller.nodeloss.NodeState;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Nodes to {@link NodeState}s, with the memory the API lacks: when a Node object disappeared (a deleted Node has no
 * timestamps left), taken as when it was last seen not Ready, or else when this controller first found it missing.
 * The memory is this replica's: a new leader starts counting a missing node's time again, so it may wait longer
 * than the timeout, never shorter. Shared by the steps that judge node loss, so they agree.
 */
public final class NodeStates {

    private final Map<String, Instant> notReadySince = new ConcurrentHashMap<>();
    private final Map<String, Instant> missingSince = new ConcurrentHashMap<>();

    /** The state of the node named {@code name}; {@code node} null when there is no such Node. */
    public NodeState of(String name, Node node, Instant now) {
        if (node == null) {
            return NodeState.gone(name, missingSince.computeIfAbsent(name, n -> notReadySince.getOrDefault(n, now)));
        }
        missingSince.remove(name);
        Optional<NodeCondition> ready = Optional.ofNullable(node.getStatus()).map(s -> s.getConditions())
                .orElse(List.of()).stream().filter(c -> "Ready".equals(c.getType())).findFirst();
        if (ready.isPresent() && "True".equals(ready.get().getStatus())) {
            notReadySince.remove(name);
            return NodeState.ready(name);
        }
        // The condition's lastTransitionTime is when the kubelet or the node lifecycle controller last changed it:
        // when the node stopped being Ready. Without one (no condition yet), count from the first sight.
        Instant since = ready.map(NodeCondition::getLastTransitionTime).flatMap(NodeStates::instant)
                .orElseGet(() -> notReadySince.getOrDefault(name, now));
        notReadySince.put(name, since);
        return NodeState.notReady(name, since);
    }

    private static Optional<Instant> instant(String text) {
        try {
            return Optional.of(Instant.parse(text));
        } catch (DateTimeParseException | NullPointerException e) {
            return Optional.empty();
        }
    }
}
