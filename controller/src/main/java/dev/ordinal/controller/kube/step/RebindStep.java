package dev.ordinal.controller.kube.step;

import dev.ordinal.contract.Annotations;
import dev.ordinal.controller.kube.cache.ClusterCache;
import dev.ordinal.controller.kube.cache.KubeModel;
import dev.ordinal.controller.kube.cache.NodeStates;
import dev.ordinal.controller.kube.cache.PersistentVolumes;
import dev.ordinal.controller.kube.write.RebindWriter;
import dev.ordinal.controller.model.OrdinalClaim;
import dev.ordinal.controller.nodeloss.LostNode;
import dev.ordinal.controller.nodeloss.NodeLoss;
import dev.ordinal.controller.nodeloss.NodeLossTimeout;
import dev.ordinal.controller.rebind.PendingClaim;
import dev.ordinal.controller.rebind.RebindAction;
import dev.ordinal.controller.rebind.Rebinding;
import dev.ordinal.controller.rebind.RetainedVolume.ClaimRef;
import dev.ordinal.controller.rebind.RetainedVolume.Phase;
import dev.ordinal.controller.rebind.RetainedVolume;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Volumes follow their ordinal: a waiting claim of the StatefulSet gets the Released volume its ordinal had, or is
 * marked {@code ordinal.csi.dev/rebind: skipped} when that volume does not fit ({@link Rebinding} decides;
 * {@link RebindWriter} writes).
 */
public final class RebindStep implements SetStep {

    private final RebindWriter writer;
    private final NodeStates nodes;

    public RebindStep(RebindWriter writer, NodeStates nodes) {
        this.writer = writer;
        this.nodes = nodes;
    }

    @Override
    public String name() {
        return "rebind";
    }

    @Override
    public Optional<Instant> reconcile(StatefulSetView view) {
        if (!view.ordinalSet() || view.set().get().getMetadata().getDeletionTimestamp() != null) {
            return Optional.empty();
        }
        ClusterCache cache = view.cache();
        String defaultClass = defaultClass(cache.storageClasses());
        Map<String, PersistentVolumeClaim> claimObjects = new HashMap<>();
        List<PendingClaim> claims = new ArrayList<>();
        for (StatefulSetView.TemplateClaim claim : view.claims()) {
            claimObjects.put(claim.id().claimName(), claim.claim());
            claims.add(pending(claim.id(), claim.claim(), defaultClass));
        }
        if (claims.stream().noneMatch(PendingClaim::waiting)) {
            return Optional.empty(); // Most reconciles: every claim has its volume.
        }
        NodeLossTimeout timeout = KubeModel.nodeLossTimeout(view.set().get());
        Map<String, PersistentVolume> volumeObjects = new HashMap<>();
        List<RetainedVolume> volumes = new ArrayList<>();
        for (PersistentVolume volume : cache.persistentVolumes()) {
            Optional<OrdinalClaim> identity = PersistentVolumes.identity(volume);
            if (identity.isPresent() && identity.get().namespace().equals(view.namespace())
                    && identity.get().statefulSet().equals(view.name())) {
                volumeObjects.put(volume.getMetadata().getName(), volume);
                volumes.add(retained(volume, identity.get(), cache, timeout, view.now()));
            }
        }
        boolean refused = false;
        for (RebindAction action : Rebinding.plan(claims, volumes)) {
            String volumeName = switch (action) {
                case RebindAction.Rebind rebind -> rebind.volume().name();
                case RebindAction.CompleteBind complete -> complete.volume().name();
                case RebindAction.Skip skip -> skip.volume().name();
                case RebindAction.Wait wait -> wait.volume().name();
            };
            refused |= !writer.apply(view.set().get(), claimObjects.get(action.claim().id().claimName()),
                    volumeObjects.get(volumeName), action);
        }
        return refused ? Optional.of(view.now().plus(Duration.ofSeconds(1))) : Optional.empty();
    }

    static PendingClaim pending(OrdinalClaim id, PersistentVolumeClaim claim, String defaultClass) {
        var spec = claim.getSpec();
        var meta = claim.getMetadata();
        String phase = claim.getStatus() == null ? null : claim.getStatus().getPhase();
        String className = spec.getStorageClassName() != null ? spec.getStorageClassName() : defaultClass;
        boolean skipped = meta.getAnnotations() != null
                && Annotations.REBIND_SKIPPED.equals(meta.getAnnotations().get(Annotations.REBIND));
        var requests = spec.getResources() == null || spec.getResources().getRequests() == null
                ? Map.<String, io.fabric8.kubernetes.api.model.Quantity>of() : spec.getResources().getRequests();
        return new PendingClaim(id, meta.getUid(), meta.getResourceVersion(), phase == null || "Pending".equals(phase),
                Optional.ofNullable(spec.getVolumeName()).filter(s -> !s.isEmpty()), meta.getDeletionTimestamp() != null,
                skipped, className, PersistentVolumes.size(requests.get("storage")),
                Set.copyOf(Optional.ofNullable(spec.getAccessModes()).orElse(List.of())), volumeMode(spec.getVolumeMode()));
    }

    private RetainedVolume retained(PersistentVolume volume, OrdinalClaim identity, ClusterCache cache,
            NodeLossTimeout timeout, Instant now) {
        var spec = volume.getSpec();
        var meta = volume.getMetadata();
        Phase phase = phase(volume.getStatus() == null ? null : volume.getStatus().getPhase());
        Optional<ClaimRef> ref = Optional.ofNullable(spec.getClaimRef()).filter(r -> r.getName() != null)
                .map(r -> claimRef(r, cache));
        // Only a volume that may be bound needs its node judged (and remembered by NodeStates).
        Optional<LostNode> lost = phase == Phase.RELEASED && timeout.enabled()
                ? PersistentVolumes.node(volume).flatMap(node ->
                        NodeLoss.lost(nodes.of(node, cache.node(node).orElse(null), now), timeout, now))
                : Optional.empty();
        Instant created = Optional.ofNullable(meta.getCreationTimestamp()).map(RebindStep::instant).orElse(Instant.EPOCH);
        return new RetainedVolume(meta.getName(), PersistentVolumes.handle(volume), identity, phase,
                Optional.ofNullable(spec.getPersistentVolumeReclaimPolicy()).orElse("Retain"),
                meta.getDeletionTimestamp() != null, Optional.ofNullable(spec.getStorageClassName()).orElse(""),
                PersistentVolumes.size(spec.getCapacity() == null ? null : spec.getCapacity().get("storage")),
                Set.copyOf(Optional.ofNullable(spec.getAccessModes()).orElse(List.of())),
                volumeMode(spec.getVolumeMode()), created, ref, lost);
    }

    /** Live: a claim of that name exists with the reference's uid (any uid, when the reference has none). */
    private static ClaimRef claimRef(ObjectReference ref, ClusterCache cache) {
        String namespace = Optional.ofNullable(ref.getNamespace()).orElse("");
        String uid = Optional.ofNullable(ref.getUid()).orElse("");
        boolean live = cache.claim(namespace, ref.getName())
                .filter(c -> uid.isEmpty() || uid.equals(c.getMetadata().getUid())).isPresent();
        return new ClaimRef(namespace, ref.getName(), uid, live);
    }

    /**
     * The class a claim without storageClassName gets: the default class, the newest when several are marked
     * (as the API server's admission picks since Kubernetes 1.26). "" when there is none.
     */
    static String defaultClass(Collection<StorageClass> classes) {
        return classes.stream()
                .filter(c -> c.getMetadata().getAnnotations() != null
                        && "true".equals(c.getMetadata().getAnnotations().get(KubeModel.DEFAULT_CLASS)))
                .max(Comparator.comparing((StorageClass c) -> Optional.ofNullable(c.getMetadata().getCreationTimestamp())
                        .map(RebindStep::instant).orElse(Instant.EPOCH)).thenComparing(c -> c.getMetadata().getName()))
                .map(c -> c.getMetadata().getName()).orElse("");
    }

    private static String volumeMode(String mode) {
        return mode == null || mode.isEmpty() ? "Filesystem" : mode;
    }

    private static Phase phase(String phase) {
        if (phase == null) {
            return Phase.PENDING;
        }
        try {
            return Phase.valueOf(phase.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return Phase.UNKNOWN;
        }
    }

    private static Instant instant(String text) {
        try {
            return Instant.parse(text);
        } catch (RuntimeException e) {
            return Instant.EPOCH;
        }
    }
}
