package dev.ordinal.controller.kube.write;

import dev.ordinal.contract.Annotations;
import dev.ordinal.controller.kube.metrics.ControllerMetrics;
import dev.ordinal.controller.rebind.RebindAction.CompleteBind;
import dev.ordinal.controller.rebind.RebindAction.Rebind;
import dev.ordinal.controller.rebind.RebindAction.Skip;
import dev.ordinal.controller.rebind.RebindAction.Wait;
import dev.ordinal.controller.rebind.RebindAction;
import dev.ordinal.controller.rebind.RetainedVolume;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Writes what {@link dev.ordinal.controller.rebind.Rebinding} decided, through {@link Writes}. A rebind is two merge
 * patches, each conditional on the resourceVersion it was decided on (a concurrent change answers 409 and the
 * reconcile runs again on fresh state): first the volume's claimRef, replaced whole (namespace, name and uid of the
 * new claim, no resourceVersion), then the claim's volumeName, as for a pre-bound static volume; the
 * PersistentVolume controller then binds both. The volume goes first: a claim's volumeName can be set only once, so a claim pointed at a volume
 * that then could not be had would be stuck for good, while a volume pointed at a claim whose own patch failed is
 * completed by the next pass (or by the PersistentVolume controller, which binds a volume pre-bound to a claim).
 */
public final class RebindWriter {

    private static final Logger LOG = Logger.getLogger(RebindWriter.class);

    private final KubernetesClient client;
    private final Writes writes;
    private final EventRecorder events;
    private final ControllerMetrics metrics;

    public RebindWriter(KubernetesClient client, Writes writes, EventRecorder events, ControllerMetrics metrics) {
        this.client = client;
        this.writes = writes;
        this.events = events;
        this.metrics = metrics;
    }

    /** Applies the action; false when a guard refused it (the caller looks again later). */
    public boolean apply(StatefulSet set, PersistentVolumeClaim claim, PersistentVolume volume, RebindAction action) {
        return switch (action) {
            case Rebind rebind -> rebind(set, claim, volume, rebind);
            case CompleteBind complete -> {
                LOG.infof("Completing the rebind of %s/%s to PV %s", claim.getMetadata().getNamespace(),
                        claim.getMetadata().getName(), complete.volume().name());
                setVolumeName(claim, complete.volume().name());
                yield true;
            }
            case Skip skip -> skip(set, claim, skip);
            case Wait wait -> {
                LOG.debugf("Claim %s/%s waits: %s", claim.getMetadata().getNamespace(), claim.getMetadata().getName(),
                        wait.why());
                yield true;
            }
        };
    }

    private boolean rebind(StatefulSet set, PersistentVolumeClaim claim, PersistentVolume volume, Rebind action) {
        String namespace = claim.getMetadata().getNamespace();
        String name = claim.getMetadata().getName();
        // The caches may lag: make sure, on a fresh read, that the claim the old reference names is really gone.
        ObjectReference stale = volume.getSpec().getClaimRef();
        if (stale != null && stale.getName() != null) {
            PersistentVolumeClaim holder = client.persistentVolumeClaims()
                    .inNamespace(stale.getNamespace() == null ? "" : stale.getNamespace()).withName(stale.getName()).get();
            if (holder != null && (stale.getUid() == null || stale.getUid().isEmpty()
                    || stale.getUid().equals(holder.getMetadata().getUid()))) {
                LOG.infof("Not rebinding %s/%s: PV %s is still claimed by %s/%s", namespace, name,
                        volume.getMetadata().getName(), stale.getNamespace(), stale.getName());
                return false;
            }
        }
        ObjectNode patch = Writes.change();
        ObjectNode claimRef = patch.putObject("spec").putObject("claimRef");
        claimRef.put("apiVersion", "v1");
        claimRef.put("kind", "PersistentVolumeClaim");
        claimRef.put("namespace", namespace);
        claimRef.put("name", name);
        claimRef.put("uid", claim.getMetadata().getUid());
        // A merge patch merges objects: explicit nulls remove what the stale reference carried besides.
        claimRef.putNull("resourceVersion");
        claimRef.putNull("fieldPath");
        writes.mergePatch(volume, patch);

        RetainedVolume target = action.volume();
        String message = "Bound to PV " + target.name() + " (" + target.handle() + ", " + target.capacity()
                + "), the Released volume ordinal " + action.claim().id().ordinal() + " of " + set.getMetadata().getName()
                + " had before (its claim uid " + (stale == null ? "?" : stale.getUid()) + " is gone)"
                + passedOver(action.passedOver());
        events.normal(claim, "VolumeRebound", message);
        events.normal(set, "VolumeRebound", name + ": " + message);
        metrics.rebind("rebound");
        setVolumeName(claim, target.name());
        return true;
    }

    private void setVolumeName(PersistentVolumeClaim claim, String volumeName) {
        writes.mergePatch(claim, Map.of("spec", Map.of("volumeName", volumeName)));
    }

    private boolean skip(StatefulSet set, PersistentVolumeClaim claim, Skip action) {
        writes.mergePatch(claim, Map.of("metadata", Map.of("annotations",
                Map.of(Annotations.REBIND, Annotations.REBIND_SKIPPED))));
        RetainedVolume volume = action.volume();
        String message = "Not rebound to PV " + volume.name() + " (" + volume.handle() + "), the Released volume ordinal "
                + action.claim().id().ordinal() + " had before: " + String.join("; ", action.reasons())
                + ". Marked " + Annotations.REBIND + ": " + Annotations.REBIND_SKIPPED
                + ", so a new volume is provisioned; PV "
                + volume.name() + " keeps its data (Retain)" + passedOver(action.passedOver());
        events.warning(claim, "RebindSkipped", message);
        events.warning(set, "RebindSkipped", claim.getMetadata().getName() + ": " + message);
        metrics.rebind("skipped");
        return true;
    }

    private static String passedOver(List<RetainedVolume> older) {
        if (older.isEmpty()) {
            return "";
        }
        return "; older Released volumes of this ordinal left as they are: " + String.join(", ", older.stream()
                .map(v -> v.name() + " (created " + v.created() + ")").toList());
    }
}
