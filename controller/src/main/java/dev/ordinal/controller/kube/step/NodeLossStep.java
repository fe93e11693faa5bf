package dev.ordinal.controller.kube.step;

import dev.ordinal.contract.Annotations;
import dev.ordinal.controller.kube.cache.ClusterCache;
import dev.ordinal.controller.kube.cache.KubeModel;
import dev.ordinal.controller.kube.cache.NodeStates;
import dev.ordinal.controller.kube.cache.PersistentVolumes;
import dev.ordinal.controller.kube.write.EventRecorder;
import dev.ordinal.controller.kube.write.NodeLossWriter;
import dev.ordinal.controller.nodeloss.NodeLoss;
import dev.ordinal.controller.nodeloss.NodeLossPlan;
import dev.ordinal.controller.nodeloss.NodeLossTimeout;
import dev.ordinal.controller.nodeloss.NodeState;
import dev.ordinal.controller.nodeloss.OrdinalPod;
import dev.ordinal.controller.nodeloss.PlacedClaim;
import dev.ordinal.controller.nodeloss.Release;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Node loss (opt-in per StatefulSet by {@code ordinal.csi.dev/node-loss-timeout}): the claims whose local volumes
 * lived on a node gone for longer than the timeout are released, so their ordinals can be made again elsewhere
 * ({@link NodeLoss} decides; {@link NodeLossWriter} acts after reading the node and the set again).
 */
public final class NodeLossStep implements SetStep {

    private final NodeLossWriter writer;
    private final NodeStates nodes;
    private final EventRecorder events;
    /** StatefulSet uid -> the unreadable value already reported, so each value is reported once. */
    private final Map<String, String> reportedInvalid = new ConcurrentHashMap<>();

    public NodeLossStep(NodeLossWriter writer, NodeStates nodes, EventRecorder events) {
        this.writer = writer;
        this.nodes = nodes;
        this.events = events;
    }

    @Override
    public String name() {
        return "node-loss";
    }

    @Override
    public Optional<Instant> reconcile(StatefulSetView view) {
        if (!view.ordinalSet()) {
            return Optional.empty();
        }
        StatefulSet set = view.set().get();
        NodeLossTimeout timeout = KubeModel.nodeLossTimeout(set);
        if (timeout.invalid().isPresent()) {
            String value = timeout.invalid().get();
            if (!value.equals(reportedInvalid.put(set.getMetadata().getUid(), value))) {
                events.warning(set, "NodeLossTimeoutInvalid", Annotations.NODE_LOSS_TIMEOUT + ": \"" + value
                        + "\" is not a duration (write 10m,"
                        + " 1h30m or PT10M); node loss is not acted on for " + set.getMetadata().getName());
            }
            return Optional.empty();
        }
        reportedInvalid.remove(set.getMetadata().getUid());
        if (!timeout.enabled() || set.getMetadata().getDeletionTimestamp() != null) {
            return Optional.empty();
        }
        ClusterCache cache = view.cache();
        List<PlacedClaim> claims = new ArrayList<>();
        Map<String, NodeState> nodeStates = new HashMap<>();
        for (StatefulSetView.TemplateClaim templateClaim : view.claims()) {
            PersistentVolumeClaim claim = templateClaim.claim();
            String volumeName = claim.getSpec().getVolumeName();
            Optional<PersistentVolume> volume = volumeName == null || volumeName.isEmpty() ? Optional.empty()
                    : cache.persistentVolume(volumeName).filter(PersistentVolumes::isOrdinal);
            if (volume.isEmpty()) {
                continue;
            }
            Optional<String> node = PersistentVolumes.node(volume.get());
            node.ifPresent(name -> nodeStates.computeIfAbsent(name,
                    n -> nodes.of(n, cache.node(n).orElse(null), view.now())));
            claims.add(new PlacedClaim(templateClaim.id(), claim.getMetadata().getUid(),
                    claim.getMetadata().getResourceVersion(), claim.getMetadata().getDeletionTimestamp() != null,
                    volumeName, PersistentVolumes.handle(volume.get()),
                    Optional.ofNullable(volume.get().getSpec().getPersistentVolumeReclaimPolicy()).orElse("Delete"), node));
        }
        if (nodeStates.values().stream().allMatch(n -> n.condition() == NodeState.Condition.READY)) {
            return Optional.empty(); // Most reconciles: every node is Ready.
        }
        List<OrdinalPod> pods = new ArrayList<>();
        for (Pod pod : cache.pods(view.namespace())) {
            KubeModel.ordinalOf(pod, view.name(), set.getMetadata().getUid()).ifPresent(ordinal -> pods.add(new OrdinalPod(
                    pod.getMetadata().getName(), ordinal, pod.getMetadata().getUid(), pod.getMetadata().getResourceVersion(),
                    Optional.ofNullable(pod.getSpec() == null ? null : pod.getSpec().getNodeName()).filter(n -> !n.isEmpty()))));
        }
        NodeLossPlan plan = NodeLoss.plan(KubeModel.startOrdinal(set), KubeModel.replicas(set), timeout, claims, nodeStates, pods, view.now());
        boolean refused = false;
        for (Release release : plan.releases()) {
            refused |= !writer.release(set, release, view.now());
        }
        Optional<Instant> revisit = plan.revisitAt();
        if (refused) {
            Instant soon = view.now().plus(Duration.ofSeconds(1));
            revisit = Optional.of(revisit.filter(at -> at.isBefore(soon)).orElse(soon));
        }
        return revisit;
    }
}
