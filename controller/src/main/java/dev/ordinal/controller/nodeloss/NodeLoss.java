package dev.ordinal.controller.nodeloss;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Node loss as a pure function. A StatefulSet that opts in with a timeout gets the claims of its running ordinals
 * released when the node their local volumes live on has been gone (deleted, or not Ready) for longer than the
 * timeout: the data is out of reach, and the Pod cannot start anywhere else while its claim pins it to that node.
 *
 * <ul>
 *   <li>Never without the timeout, never while the node is Ready, never before the timeout has run out.
 *   <li>Never a claim whose volume no node holds (NFS).
 *   <li>Only ordinals in range (start <= ordinal < start + replicas): those the StatefulSet wants running. A
 *       scaled-down claim is left as it is; scaling back up brings it into range, and into this rule.
 *   <li>The Pod is deleted when it is on the lost node, and when it waits unscheduled for a claim released now;
 *       never a Pod scheduled to another node.
 * </ul>
 */
public final class NodeLoss {

    private NodeLoss() {
    }

    /** The node, when it has been gone for longer than the timeout. */
    public static Optional<LostNode> lost(NodeState node, NodeLossTimeout timeout, Instant now) {
        if (!timeout.enabled() || node.condition() == NodeState.Condition.READY) {
            return Optional.empty();
        }
        Instant expiry = node.since().orElseThrow().plus(timeout.timeout().orElseThrow());
        return expiry.isAfter(now) ? Optional.empty() : Optional.of(new LostNode(node, timeout.timeout().orElseThrow(), now));
    }

    /**
     * @param start, replicas the StatefulSet's ordinals in range
     * @param nodes the state of every node a claim's volume lives on
     */
    public static NodeLossPlan plan(int start, int replicas, NodeLossTimeout timeout, List<PlacedClaim> claims,
            Map<String, NodeState> nodes, List<OrdinalPod> pods, Instant now) {
        if (!timeout.enabled()) {
            return new NodeLossPlan(List.of(), Optional.empty());
        }
        Optional<Instant> revisit = Optional.empty();
        // Per ordinal and lost node: the claims to delete. Sorted, so Events come in ordinal order.
        Map<Integer, Map<String, List<PlacedClaim>>> due = new TreeMap<>();
        Map<String, LostNode> lostNodes = new TreeMap<>();
        for (PlacedClaim claim : claims) {
            int ordinal = claim.id().ordinal();
            if (ordinal < start || ordinal >= start + (long) replicas || claim.node().isEmpty()) {
                continue;
            }
            NodeState node = nodes.get(claim.node().get());
            if (node == null || node.condition() == NodeState.Condition.READY) {
                continue;
            }
            Optional<LostNode> lost = lost(node, timeout, now);
            if (lost.isEmpty()) {
                Instant expiry = node.since().orElseThrow().plus(timeout.timeout().orElseThrow());
                revisit = revisit.filter(at -> at.isBefore(expiry)).or(() -> Optional.of(expiry));
                continue;
            }
            lostNodes.put(node.name(), lost.get());
            due.computeIfAbsent(ordinal, o -> new TreeMap<>()).computeIfAbsent(node.name(), n -> new ArrayList<>()).add(claim);
        }
        List<Release> releases = new ArrayList<>();
        due.forEach((ordinal, byNode) -> byNode.forEach((nodeName, onNode) -> {
            List<PlacedClaim> toDelete = onNode.stream().filter(c -> !c.deleting()).toList();
            // The Pod on the lost node; or one that waits unscheduled (made again, pinned by the claim released now),
            // which would otherwise wait on a claim that is gone where the StatefulSet controller does not make
            // missing claims for an existing Pod.
            Optional<OrdinalPod> pod = pods.stream().filter(p -> p.ordinal() == ordinal)
                    .filter(p -> p.node().map(nodeName::equals).orElse(!toDelete.isEmpty())).findFirst();
            // A claim already being deleted waits for its Pod to go (the claim protection finalizer): only the Pod
            // is left to do then, and once both are gone there is nothing.
            if (!toDelete.isEmpty() || pod.isPresent()) {
                releases.add(new Release(lostNodes.get(nodeName), ordinal, toDelete, pod));
            }
        }));
        return new NodeLossPlan(List.copyOf(releases), revisit);
    }
}
