package dev.ordinal.controller.kube.step;

import dev.ordinal.contract.Annotations;
import dev.ordinal.controller.kube.cache.ClusterCache;
import dev.ordinal.controller.kube.cache.KubeModel;
import dev.ordinal.controller.kube.metrics.OrderedBindingMetrics;
import dev.ordinal.controller.kube.write.ClaimAnnotator;
import dev.ordinal.controller.kube.write.EventRecorder;
import dev.ordinal.controller.model.OrdinalClaim;
import dev.ordinal.controller.ordering.Admission;
import dev.ordinal.controller.ordering.ClaimPhase;
import dev.ordinal.controller.ordering.OrderedBinding;
import dev.ordinal.controller.ordering.OrderedClaim;
import dev.ordinal.controller.ordering.OrderingMode;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ordered binding: reads the set's claims from the view, asks {@link OrderedBinding#plan} which may be provisioned
 * now, and writes {@code ordinal.csi.dev/admitted: "true"} on those (the driver's CreateVolume answers ABORTED until
 * it is there). A claim that must wait gets one {@code WaitingForOrdinal} Event, not one per reconcile: this step
 * remembers (in memory, so a new leader tells each waiting claim once more) which claims it has told.
 */
public final class OrderedBindingStep implements SetStep {

    private final ClaimAnnotator annotator;
    private final EventRecorder events;
    private final OrderedBindingMetrics metrics;
    /** Per StatefulSet key: the uids of claims told they wait. */
    private final Map<String, Set<String>> told = new ConcurrentHashMap<>();
    /** Per StatefulSet key: an annotation value already reported as unreadable. */
    private final Map<String, String> unreadable = new ConcurrentHashMap<>();

    public OrderedBindingStep(ClaimAnnotator annotator, EventRecorder events, OrderedBindingMetrics metrics) {
        this.annotator = annotator;
        this.events = events;
        this.metrics = metrics;
    }

    @Override
    public String name() {
        return "ordered-binding";
    }

    @Override
    public Optional<Instant> reconcile(StatefulSetView view) {
        String key = view.key();
        if (!view.ordinalSet()) {
            told.remove(key);
            unreadable.remove(key);
            metrics.waiting(key, 0);
            return Optional.empty();
        }
        StatefulSet set = view.set().orElseThrow();
        String annotation = set.getMetadata().getAnnotations() == null ? null
                : set.getMetadata().getAnnotations().get(Annotations.ORDERED_BINDING);
        reportUnreadable(key, set, annotation);
        int start = KubeModel.startOrdinal(set);

        Map<String, PersistentVolumeClaim> byName = new HashMap<>();
        List<OrderedClaim> claims = new ArrayList<>();
        for (StatefulSetView.TemplateClaim templateClaim : view.claims()) {
            PersistentVolumeClaim claim = templateClaim.claim();
            byName.put(templateClaim.id().claimName(), claim);
            claims.add(model(templateClaim.id(), claim, mode(view.cache(), claim, annotation), view.now()));
        }
        Map<String, OrderedClaim> byClaimName = new HashMap<>();
        claims.forEach(c -> byClaimName.put(c.id().claimName(), c));

        List<Admission> plan = OrderedBinding.plan(start, claims, view.now());
        Set<String> toldHere = told.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet());
        Set<String> stillWaiting = new HashSet<>();
        int waiting = 0;
        for (Admission admission : plan) {
            PersistentVolumeClaim claim = byName.get(admission.claim().id().claimName());
            switch (admission) {
                case Admission.Admit admit -> {
                    annotator.annotate(claim, Annotations.ADMITTED, "true");
                    events.normal(claim, "ClaimAdmitted", "Admitted for provisioning by ordered binding: " + admit.why()
                            + "; waited " + human(admit.waited()) + " since the claim was created");
                    metrics.admitted(admit.waited());
                }
                case Admission.Wait wait -> {
                    waiting++;
                    String uid = claim.getMetadata().getUid();
                    stillWaiting.add(uid);
                    if (toldHere.add(uid)) {
                        events.normal(claim, "WaitingForOrdinal", waitMessage(wait, byClaimName, start));
                    }
                }
            }
        }
        toldHere.retainAll(stillWaiting);
        metrics.waiting(key, waiting);
        return Optional.empty();
    }

    private static OrderedClaim model(OrdinalClaim id, PersistentVolumeClaim claim, OrderingMode mode, Instant now) {
        var meta = claim.getMetadata();
        ClaimPhase phase = ClaimPhase.of(claim.getStatus() == null ? null : claim.getStatus().getPhase());
        boolean preBound = claim.getSpec() != null && claim.getSpec().getVolumeName() != null
                && !claim.getSpec().getVolumeName().isEmpty();
        boolean admitted = "true".equals(ClaimAnnotator.annotation(claim, Annotations.ADMITTED));
        return new OrderedClaim(id, phase, preBound, meta.getDeletionTimestamp() != null, admitted, mode,
                created(meta.getCreationTimestamp(), now));
    }

    /** A claim of another driver is never gated; an Ordinal claim by its set's annotation and its class. */
    static OrderingMode mode(ClusterCache cache, PersistentVolumeClaim claim, String setAnnotation) {
        if (!cache.isOrdinal(claim)) {
            return OrderingMode.OFF;
        }
        String className = claim.getSpec() == null ? null : claim.getSpec().getStorageClassName();
        String parameter = cache.effectiveClass(className).map(StorageClass::getParameters)
                .map(p -> p.get(OrderingMode.CLASS_PARAMETER)).orElse(null);
        return OrderingMode.resolve(setAnnotation, parameter);
    }

    private static String waitMessage(Admission.Wait wait, Map<String, OrderedClaim> claims, int start) {
        OrdinalClaim id = wait.claim().id();
        String predecessor = OrdinalClaim.name(id.template(), id.statefulSet(), wait.predecessor());
        String first = OrdinalClaim.name(id.template(), id.statefulSet(), wait.firstUnbound());
        OrderedClaim firstClaim = claims.get(first);
        String firstState = firstClaim == null ? "not created yet" : firstClaim.phase() == ClaimPhase.LOST ? "Lost"
                : firstClaim.admitted() ? "admitted, being provisioned" : "Pending";
        return "Ordered binding: " + id.claimName() + " is provisioned after ordinal " + wait.predecessor() + " ("
                + predecessor + ") is Bound, as template " + id.template() + " binds its ordinals in order from "
                + start + "; the first not Bound yet is ordinal " + wait.firstUnbound() + " (" + first + ", "
                + firstState + ")";
    }

    private void reportUnreadable(String key, StatefulSet set, String annotation) {
        if (OrderingMode.readable(annotation)) {
            unreadable.remove(key);
        } else if (!annotation.equals(unreadable.put(key, annotation))) {
            events.warning(set, "InvalidAnnotation", Annotations.ORDERED_BINDING + ": \"" + annotation
                    + "\" is neither \"true\" nor \"false\"; the StorageClass parameter " + OrderingMode.CLASS_PARAMETER
                    + " decides ordered binding instead");
        }
    }

    private static Instant created(String timestamp, Instant now) {
        try {
            return timestamp == null ? now : Instant.parse(timestamp);
        } catch (DateTimeParseException e) {
            return now;
        }
    }

    static String human(Duration duration) {
        long seconds = duration.toSeconds();
        if (seconds < 1) {
            return duration.toMillis() + "ms";
        }
        if (seconds < 120) {
            return seconds + "s";
        }
        return seconds / 60 + "m" + (seconds % 60 == 0 ? "" : seconds % 60 + "s");
    }
}
