package dev.ordinal.controller.kube.write;

import dev.ordinal.controller.kube.cache.KubeModel;
import dev.ordinal.controller.kube.cache.NodeStates;
import dev.ordinal.controller.kube.metrics.ControllerMetrics;
import dev.ordinal.controller.nodeloss.LostNode;
import dev.ordinal.controller.nodeloss.NodeLoss;
import dev.ordinal.controller.nodeloss.NodeLossTimeout;
import dev.ordinal.controller.nodeloss.OrdinalPod;
import dev.ordinal.controller.nodeloss.PlacedClaim;
import dev.ordinal.controller.nodeloss.Release;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Releases one ordinal from a lost node, after reading again from the API server (not the caches) everything the
 * decision rests on: the Node (never while Ready, never before the timeout ran out), the StatefulSet (same uid,
 * still opted in, ordinal still in range), each claim (same uid, still bound to the same volume) and the Pod (same
 * uid, still on the lost node). Deletes are preconditioned on the resourceVersion just read ({@link Writes}).
 *
 * <p>Claims go before the Pod: were the Pod deleted first, the StatefulSet controller could make it again at once,
 * on the old claim, pinned to the lost node once more. The claim, once deleted, waits for the Pod (claim
 * protection); the Pod is then force-deleted (grace period 0), as operators do by hand for a Pod on an unreachable
 * node, because its kubelet will never confirm a graceful deletion. The StatefulSet controller then makes the
 * ordinal again: a new claim, which the driver places on a node that is there. Force deletion gives up the
 * guarantee that the old Pod has stopped: on a node that is only cut off, it may still run until its kubelet
 * returns. That is what the timeout is the operator's word on.
 */
public final class NodeLossWriter {

    private static final Logger LOG = Logger.getLogger(NodeLossWriter.class);

    private final KubernetesClient client;
    private final Writes writes;
    private final EventRecorder events;
    private final ControllerMetrics metrics;
    private final NodeStates nodes;

    public NodeLossWriter(KubernetesClient client, Writes writes, EventRecorder events, ControllerMetrics metrics,
            NodeStates nodes) {
        this.client = client;
        this.writes = writes;
        this.events = events;
        this.metrics = metrics;
        this.nodes = nodes;
    }

    /** Releases the ordinal; false when a fresh read refused it (the caller looks again later). */
    public boolean release(StatefulSet cached, Release release, Instant now) {
        String namespace = cached.getMetadata().getNamespace();
        String setName = cached.getMetadata().getName();
        String nodeName = release.lost().name();
        StatefulSet set = client.apps().statefulSets().inNamespace(namespace).withName(setName).get();
        if (set == null || !set.getMetadata().getUid().equals(cached.getMetadata().getUid())
                || set.getMetadata().getDeletionTimestamp() != null) {
            LOG.infof("Not releasing ordinal %d of %s/%s: the StatefulSet changed", release.ordinal(), namespace, setName);
            return false;
        }
        int start = KubeModel.startOrdinal(set);
        if (release.ordinal() < start || release.ordinal() >= start + (long) KubeModel.replicas(set)) {
            LOG.infof("Not releasing ordinal %d of %s/%s: no longer in range", release.ordinal(), namespace, setName);
            return false;
        }
        NodeLossTimeout timeout = KubeModel.nodeLossTimeout(set);
        Optional<LostNode> lost = NodeLoss.lost(nodes.of(nodeName, client.nodes().withName(nodeName).get(), now), timeout, now);
        if (lost.isEmpty()) {
            LOG.infof("Not releasing ordinal %d of %s/%s: node %s is Ready again, or the timeout (%s) has not run out",
                    release.ordinal(), namespace, setName, nodeName, timeout.timeout().map(Object::toString).orElse("off"));
            return false;
        }
        String why = lost.get().describe();
        List<String> released = new ArrayList<>();
        for (PlacedClaim planned : release.claims()) {
            PersistentVolumeClaim claim = client.persistentVolumeClaims().inNamespace(namespace)
                    .withName(planned.id().claimName()).get();
            if (claim == null || !claim.getMetadata().getUid().equals(planned.uid())
                    || claim.getMetadata().getDeletionTimestamp() != null
                    || !planned.volumeName().equals(claim.getSpec().getVolumeName())) {
                LOG.infof("Not deleting %s/%s: it changed since the decision", namespace, planned.id().claimName());
                continue;
            }
            writes.delete(claim);
            String volume = planned.volumeName() + " (" + planned.volumeHandle() + ")";
            events.warning(claim, "ClaimReleased", "Deleted so that ordinal " + planned.id().ordinal() + " of " + setName
                    + " can be made again on another node: its volume " + volume + " is on " + why
                    + ". The StatefulSet controller makes a new claim, and the driver a new, empty volume elsewhere; "
                    + planned.volumeName() + (planned.reclaimPolicy().equals("Retain")
                            ? " is kept (reclaim policy Retain) and not bound again while its node is lost"
                            : " goes by its reclaim policy " + planned.reclaimPolicy()));
            metrics.nodeLossRelease();
            released.add(planned.id().claimName() + " (volume " + planned.volumeName() + ", " + planned.volumeHandle() + ")");
        }
        String podDone = release.pod().map(planned -> deletePod(namespace, planned, nodeName)).orElse("");
        if (released.isEmpty() && podDone.isEmpty()) {
            return true;
        }
        String message = "Ordinal " + release.ordinal() + " released from " + why + ": "
                + (released.isEmpty() ? "" : "deleted claim" + (released.size() > 1 ? "s " : " ") + String.join(", ", released))
                + (released.isEmpty() || podDone.isEmpty() ? "" : "; ") + podDone
                + ". The StatefulSet controller makes the ordinal again, on another node, with new volumes";
        events.warning(set, "NodeLost", message);
        return true;
    }

    /**
     * Deletes the Pod if it is still the one planned: force-deleted when on the lost node, deleted as usual when it
     * waits unscheduled (no kubelet has it, so it goes at once). What was done, for the Event.
     */
    private String deletePod(String namespace, OrdinalPod planned, String nodeName) {
        Pod pod = client.pods().inNamespace(namespace).withName(planned.name()).get();
        String node = pod == null || pod.getSpec() == null || pod.getSpec().getNodeName() == null ? ""
                : pod.getSpec().getNodeName();
        if (pod == null || !pod.getMetadata().getUid().equals(planned.uid()) || !node.equals(planned.node().orElse(""))) {
            LOG.infof("Not deleting Pod %s/%s: gone, or no longer the one planned", namespace, planned.name());
            return "";
        }
        if (node.isEmpty()) {
            writes.delete(pod);
            metrics.nodeLossPodDeletion();
            return "deleted Pod " + planned.name() + " (unscheduled, waiting for " + nodeName + ")";
        }
        writes.forceDelete(pod);
        metrics.nodeLossPodDeletion();
        return "force-deleted Pod " + planned.name() + " (on " + nodeName + ", whose kubelet cannot confirm a graceful deletion)";
    }
}
