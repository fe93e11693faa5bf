package dev.ordinal.controller.kube.step;

import dev.ordinal.contract.Annotations;
import dev.ordinal.contract.crd.OrdinalNode;
import dev.ordinal.controller.grow.GrowAction;
import dev.ordinal.controller.grow.GrowAsk;
import dev.ordinal.controller.grow.GrowingClaim;
import dev.ordinal.controller.grow.Pace;
import dev.ordinal.controller.grow.RolloutStatus;
import dev.ordinal.controller.grow.RolloutStatus.State;
import dev.ordinal.controller.grow.VolumeGrowth;
import dev.ordinal.controller.kube.cache.ClusterCache;
import dev.ordinal.controller.kube.cache.KubeModel;
import dev.ordinal.controller.kube.cache.PersistentVolumes;
import dev.ordinal.controller.kube.metrics.VolumeGrowMetrics;
import dev.ordinal.controller.kube.write.GrowStatusAnnotation;
import dev.ordinal.controller.kube.write.GrowStatusAnnotation.Recorded;
import dev.ordinal.controller.kube.write.VolumeGrowWriter;
import dev.ordinal.controller.rebind.Size;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimCondition;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatus;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Grows a StatefulSet's volumes, ordinal by ordinal: for each Ordinal template that is asked a larger size (by
 * {@code ordinal.csi.dev/claim-size.<template>}, or by a template larger than its claims), {@link VolumeGrowth}
 * decides which claims to ask for the size now, {@link VolumeGrowWriter} writes their new request, the Events and
 * the status annotation {@code ordinal.csi.dev/claim-size-status.<template>}. Everything it decides on is read from
 * the cluster at each reconcile (the claims' requests, capacity and resize conditions, the set's annotations),
 * so a restarted controller carries on where the claims are.
 */
public final class VolumeGrowStep implements SetStep {

    /** Conditions and allocated-resource states of a resize under way (csi-resizer's and kubelet's). */
    private static final Set<String> RESIZING_CONDITIONS = Set.of("Resizing", "FileSystemResizePending");
    private static final Set<String> RESIZING_STATES = Set.of("ControllerResizeInProgress", "NodeResizePending",
            "NodeResizeInProgress");
    /** A failed resize: the error conditions of Kubernetes 1.31+, and the states of an infeasible one. */
    private static final Set<String> FAILED_CONDITIONS = Set.of("ControllerResizeError", "NodeResizeError");
    private static final Set<String> FAILED_STATES = Set.of("ControllerResizeInfeasible", "NodeResizeInfeasible");

    private final VolumeGrowWriter writer;
    private final VolumeGrowMetrics metrics;

    public VolumeGrowStep(VolumeGrowWriter writer, VolumeGrowMetrics metrics) {
        this.writer = writer;
        this.metrics = metrics;
    }

    @Override
    public String name() {
        return "volume-grow";
    }

    @Override
    public Optional<Instant> reconcile(StatefulSetView view) {
        if (!view.ordinalSet() || view.set().get().getMetadata().getDeletionTimestamp() != null) {
            for (String template : view.templates()) {
                metrics.pending(view.key() + "/" + template, 0);
            }
            return Optional.empty();
        }
        StatefulSet set = view.set().get();
        Map<String, String> annotations = Optional.ofNullable(set.getMetadata().getAnnotations()).orElse(Map.of());
        Pace pace = new Pace(Pace.atOnce(annotations.get(Annotations.CLAIM_SIZE_AT_ONCE)),
                "true".equalsIgnoreCase(annotations.get(Annotations.CLAIM_SIZE_PAUSED)));
        Map<String, String> statuses = new LinkedHashMap<>();
        // Events that follow from a change of status (an ordinal grown, a refusal, a new state) are told once the
        // status that records them is written: a reconcile whose status write conflicts tells nothing, and the
        // one that runs again on fresh state tells it once.
        List<Runnable> told = new ArrayList<>();
        int first = KubeModel.startOrdinal(set);
        int replicas = KubeModel.replicas(set);
        for (String template : view.templates()) {
            String statusKey = Annotations.CLAIM_SIZE_STATUS_PREFIX + template;
            Optional<Recorded> before = GrowStatusAnnotation.read(annotations.get(statusKey));
            Map<Integer, PersistentVolumeClaim> objects = new HashMap<>();
            List<GrowingClaim> claims = new ArrayList<>();
            for (StatefulSetView.TemplateClaim claim : view.claims()) {
                // Only the ordinals the set runs: a scaled-down ordinal's kept claim has no Pod, so kubelet would never
                // do the node's part and the rollout would wait on it for good; it is grown when it is scaled up.
                int ordinal = claim.id().ordinal();
                boolean running = ordinal >= first && ordinal < first + replicas;
                if (running && claim.id().template().equals(template)
                        && claim.claim().getMetadata().getDeletionTimestamp() == null) {
                    objects.put(claim.id().ordinal(), claim.claim());
                    claims.add(growing(claim, view.cache()));
                }
            }
            String asked = annotations.get(Annotations.CLAIM_SIZE_PREFIX + template);
            Optional<GrowAsk> ask;
            try {
                ask = ask(set, template, asked, claims, before);
            } catch (IllegalArgumentException e) {
                String reason = "cannot read " + Annotations.CLAIM_SIZE_PREFIX + template + ": \"" + asked
                        + "\" as a size (e.g. 40Gi)";
                if (before.isEmpty() || !reason.equals(before.get().reason())) {
                    told.add(() -> writer.told(set, true, "VolumeGrowRefused", reason));
                }
                statuses.put(statusKey, "{\"size\":\"\",\"state\":\"Stopped\",\"reason\":"
                        + io.fabric8.kubernetes.client.utils.Serialization.asJson(reason) + "}");
                continue;
            }
            if (ask.isEmpty()) {
                metrics.pending(view.key() + "/" + template, 0);
                if (annotations.containsKey(statusKey)) {
                    statuses.put(statusKey, null);
                }
                continue;
            }
            VolumeGrowth.Plan plan = VolumeGrowth.plan(ask.get(), claims, pace);
            RolloutStatus status = plan.status();
            apply(set, plan, objects, before, claims, ask.get(), told);
            metrics.pending(view.key() + "/" + template, status.total() - status.done());
            String text = GrowStatusAnnotation.text(status);
            if (!text.equals(annotations.get(statusKey))) {
                statuses.put(statusKey, text);
            }
        }
        if (!statuses.isEmpty()) {
            writer.statuses(set, statuses);
        }
        told.forEach(Runnable::run);
        return Optional.empty();
    }

    private void apply(StatefulSet set, VolumeGrowth.Plan plan, Map<Integer, PersistentVolumeClaim> objects,
            Optional<Recorded> before, List<GrowingClaim> claims, GrowAsk ask, List<Runnable> told) {
        RolloutStatus status = plan.status();
        boolean sameAsk = before.isPresent() && before.get().size().equals(ask.size().text());
        // Ordinals in flight at the last reconcile that hold the size now: each gets its Event once.
        if (sameAsk) {
            for (GrowingClaim claim : claims) {
                if (before.get().current().contains(claim.ordinal()) && !status.current().contains(claim.ordinal())
                        && claim.requested().bytes() >= ask.size().bytes() && claim.capacity().bytes() >= ask.size().bytes()
                        && !claim.resizing() && claim.failure().isEmpty()) {
                    PersistentVolumeClaim object = objects.get(claim.ordinal());
                    told.add(() -> writer.grown(set, object, claim.ordinal(), status));
                }
            }
        }
        for (GrowAction action : plan.actions()) {
            PersistentVolumeClaim claim = objects.get(action.claim().ordinal());
            switch (action) {
                case GrowAction.Grow grow -> writer.grow(set, claim, grow, status);
                case GrowAction.Refuse refuse -> {
                    // Told once per reason: the status annotation remembers the last one.
                    if (before.isEmpty() || !status.reason().orElse("").equals(before.get().reason())) {
                        told.add(() -> writer.refused(set, claim, refuse, status));
                    }
                }
            }
        }
        String state = GrowStatusAnnotation.state(status.state());
        String previous = before.map(Recorded::state).orElse("");
        if (!state.equals(previous) || !sameAsk) {
            String name = set.getMetadata().getName();
            switch (status.state()) {
                case COMPLETE -> {
                    if (before.isPresent()) {
                        told.add(() -> writer.told(set, false, "VolumeGrowComplete", "Every claim of template " + ask.template()
                                + " of " + name + " holds " + ask.size() + " (" + status.total() + " claims)"));
                    }
                }
                case PAUSED -> told.add(() -> writer.told(set, false, "VolumeGrowPaused", "Growing template " + ask.template()
                        + " to " + ask.size() + " is paused (" + Annotations.CLAIM_SIZE_PAUSED + "); " + status.done()
                        + " of " + status.total() + " done" + (status.current().isEmpty() ? ""
                                : ", ordinals " + status.current() + " finish")));
                case ROLLING -> told.add(() -> writer.told(set, false, "VolumeGrowStarted", (previous.equals("Paused")
                        ? "Resumed growing" : "Growing") + " the claims of template " + ask.template() + " to "
                        + ask.size() + " (" + (ask.source() == GrowAsk.Source.ANNOTATION
                                ? Annotations.CLAIM_SIZE_PREFIX + ask.template()
                                : "the template asks more than its claims hold") + "), ordinal by ordinal; "
                        + status.done() + " of " + status.total() + " done"));
                case STOPPED -> {
                    // The refusal's own Event says it.
                }
            }
        }
    }

    /**
     * What the template's claims are asked to hold: the annotation's size when it is there; else the template's
     * own size when some claim asks less (the set was re-created with a larger template), or when the last status
     * was about that size (so a completed rollout keeps its status). Empty: nothing to grow, no status to keep.
     */
    static Optional<GrowAsk> ask(StatefulSet set, String template, String asked, List<GrowingClaim> claims,
            Optional<Recorded> before) {
        if (asked != null) {
            Size size;
            try {
                size = PersistentVolumes.size(Quantity.parse(asked.trim()));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("not a size: " + asked, e);
            }
            if (size.bytes() <= 0) {
                throw new IllegalArgumentException("not a size: " + asked);
            }
            return Optional.of(new GrowAsk(template, new Size(size.bytes(), asked.trim()), GrowAsk.Source.ANNOTATION));
        }
        Optional<Size> templateSize = set.getSpec().getVolumeClaimTemplates().stream()
                .filter(t -> template.equals(t.getMetadata().getName())).findFirst()
                .map(t -> t.getSpec() == null || t.getSpec().getResources() == null
                        || t.getSpec().getResources().getRequests() == null ? null
                        : t.getSpec().getResources().getRequests().get("storage"))
                .map(PersistentVolumes::size).filter(s -> s.bytes() > 0);
        if (templateSize.isEmpty()) {
            return Optional.empty();
        }
        Size size = templateSize.get();
        boolean larger = claims.stream().anyMatch(c -> c.bound() && c.requested().bytes() < size.bytes());
        boolean kept = before.isPresent() && before.get().size().equals(size.text());
        return larger || kept ? Optional.of(new GrowAsk(template, size, GrowAsk.Source.TEMPLATE)) : Optional.empty();
    }

    private static GrowingClaim growing(StatefulSetView.TemplateClaim templateClaim, ClusterCache cache) {
        PersistentVolumeClaim claim = templateClaim.claim();
        var spec = claim.getSpec();
        PersistentVolumeClaimStatus status = Optional.ofNullable(claim.getStatus()).orElseGet(PersistentVolumeClaimStatus::new);
        Size requested = PersistentVolumes.size(spec.getResources() == null || spec.getResources().getRequests() == null
                ? null : spec.getResources().getRequests().get("storage"));
        Size capacity = PersistentVolumes.size(status.getCapacity() == null ? null : status.getCapacity().get("storage"));
        boolean resizing = false;
        Optional<String> failure = Optional.empty();
        for (PersistentVolumeClaimCondition condition : Optional.ofNullable(status.getConditions()).orElse(List.of())) {
            if (!"True".equalsIgnoreCase(condition.getStatus())) {
                continue;
            }
            if (RESIZING_CONDITIONS.contains(condition.getType())) {
                resizing = true;
            } else if (FAILED_CONDITIONS.contains(condition.getType())) {
                failure = Optional.of(condition.getType() + ": " + Optional.ofNullable(condition.getMessage()).orElse(""));
            }
        }
        String allocated = Optional.ofNullable(status.getAllocatedResourceStatuses()).map(s -> s.get("storage"))
                .orElse("");
        if (RESIZING_STATES.contains(allocated)) {
            resizing = true;
        } else if (FAILED_STATES.contains(allocated) && failure.isEmpty()) {
            failure = Optional.of(allocated);
        }
        var storageClass = cache.effectiveClass(spec.getStorageClassName());
        boolean expandable = storageClass.map(c -> Boolean.TRUE.equals(c.getAllowVolumeExpansion())).orElse(false);
        String className = storageClass.map(c -> c.getMetadata().getName())
                .orElse(Optional.ofNullable(spec.getStorageClassName()).orElse(""));
        Optional<String> disk = Optional.empty();
        Optional<Long> room = Optional.empty();
        Optional<PersistentVolumes.Location> location = Optional.ofNullable(spec.getVolumeName())
                .flatMap(cache::persistentVolume).flatMap(PersistentVolumes::location);
        if (location.isPresent() && location.get().disk().isPresent()) {
            String node = location.get().node();
            String diskName = location.get().disk().get();
            disk = Optional.of(node + "/" + diskName);
            room = cache.ordinalNodes().stream().filter(OrdinalNode::reported)
                    .filter(report -> node.equals(report.getMetadata().getName()))
                    .flatMap(report -> report.getStatus().disks.stream())
                    .filter(d -> d != null && diskName.equals(d.name)).findFirst()
                    .map(d -> d.allocatableBytes == null ? d.capacityBytes : d.allocatableBytes);
        }
        return new GrowingClaim(templateClaim.id(), requested, capacity, "Bound".equals(status.getPhase()), resizing,
                failure, expandable, className, disk, room);
    }
}
