package dev.ordinal.controller.kube.write;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ordinal.controller.grow.GrowAction.Grow;
import dev.ordinal.controller.grow.GrowAction.Refuse;
import dev.ordinal.controller.grow.RolloutStatus;
import dev.ordinal.controller.kube.metrics.VolumeGrowMetrics;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.Map;

/**
 * Writes what {@link dev.ordinal.controller.grow.VolumeGrowth} decided, through {@link Writes}: a claim's new
 * {@code spec.resources.requests.storage} (a merge patch conditional on the resourceVersion it was decided on;
 * csi-resizer and kubelet do the rest), the StatefulSet's status annotations, and an Event on claim and StatefulSet
 * for each ordinal started, grown or refused.
 */
public final class VolumeGrowWriter {

    private final Writes writes;
    private final EventRecorder events;
    private final VolumeGrowMetrics metrics;

    public VolumeGrowWriter(Writes writes, EventRecorder events, VolumeGrowMetrics metrics) {
        this.writes = writes;
        this.events = events;
        this.metrics = metrics;
    }

    public void grow(StatefulSet set, PersistentVolumeClaim claim, Grow grow, RolloutStatus status) {
        writes.mergePatch(claim, Map.of("spec", Map.of("resources", Map.of("requests",
                Map.of("storage", grow.to().text())))));
        String message = "Growing " + claim.getMetadata().getName() + " (ordinal " + grow.claim().ordinal() + ") from "
                + grow.claim().requested() + " to " + grow.to() + "; " + status.done() + " of " + status.total()
                + " done";
        events.normal(claim, "VolumeGrowing", message);
        events.normal(set, "VolumeGrowing", message);
        metrics.claim(VolumeGrowMetrics.STARTED);
    }

    public void grown(StatefulSet set, PersistentVolumeClaim claim, int ordinal, RolloutStatus status) {
        String message = claim.getMetadata().getName() + " (ordinal " + ordinal + ") holds " + status.size()
                + "; " + status.done() + " of " + status.total() + " done";
        events.normal(claim, "VolumeGrown", message);
        events.normal(set, "VolumeGrown", message);
        metrics.claim(VolumeGrowMetrics.GROWN);
    }

    public void refused(StatefulSet set, PersistentVolumeClaim claim, Refuse refuse, RolloutStatus status) {
        String message = "Not growing " + claim.getMetadata().getName() + " (ordinal " + refuse.claim().ordinal()
                + ") to " + status.size() + ": " + refuse.reason() + ". The rollout stops here (" + status.done()
                + " of " + status.total() + " done) until that changes";
        events.warning(claim, "VolumeGrowRefused", message);
        events.warning(set, "VolumeGrowRefused", message);
        metrics.claim(VolumeGrowMetrics.REFUSED);
    }

    /** An Event on the StatefulSet alone: the rollout completed, paused or resumed, or its ask cannot be read. */
    public void told(StatefulSet set, boolean warning, String reason, String message) {
        if (warning) {
            events.warning(set, reason, message);
        } else {
            events.normal(set, reason, message);
        }
    }

    /** Sets (a null value removes) the StatefulSet's status annotations in one patch. */
    public void statuses(StatefulSet set, Map<String, String> annotations) {
        ObjectNode patch = Writes.change();
        ObjectNode node = patch.putObject("metadata").putObject("annotations");
        annotations.forEach((key, value) -> {
            if (value == null) {
                node.putNull(key);
            } else {
                node.put(key, value);
            }
        });
        writes.mergePatch(set, patch);
    }
}
