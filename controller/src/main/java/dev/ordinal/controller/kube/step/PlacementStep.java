package dev.ordinal.controller.kube.step;

import dev.ordinal.allocator.Decision;
import dev.ordinal.contract.Annotations;
import dev.ordinal.contract.crd.OrdinalNode;
import dev.ordinal.controller.kube.cache.ClusterCache;
import dev.ordinal.controller.kube.cache.KubeModel;
import dev.ordinal.controller.kube.cache.PersistentVolumes;
import dev.ordinal.controller.kube.metrics.PlacementMetrics;
import dev.ordinal.controller.kube.write.ClaimAnnotator;
import dev.ordinal.controller.kube.write.EventRecorder;
import dev.ordinal.controller.model.OrdinalClaim;
import dev.ordinal.controller.ordering.OrderingMode;
import dev.ordinal.controller.placement.ClaimRequest;
import dev.ordinal.controller.placement.ClassRules;
import dev.ordinal.controller.placement.ExistingVolume;
import dev.ordinal.controller.placement.PlacementOutcome;
import dev.ordinal.controller.placement.Placements;
import dev.ordinal.controller.placement.StickyVolume;
import dev.ordinal.controller.placement.StorageDisk;
import dev.ordinal.controller.placement.StorageNode;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TopologySelectorLabelRequirement;
import io.fabric8.kubernetes.api.model.TopologySelectorTerm;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Placement for Immediate binding: a Pending claim of an Ordinal class with volumeBindingMode Immediate (admitted
 * first, when ordered binding is asked) gets the allocator's decision as {@code ordinal.csi.dev/placement:
 * "<node>/<disk>"}, for the driver to honour. The allocator decides on the OrdinalNodes the node agents report, the
 * Ordinal PersistentVolumes (their space, and for this set the ordinals they hold: spread) and the claims placed
 * before but not provisioned yet. With WaitForFirstConsumer nothing is written: the scheduler's node stands and the
 * driver chooses the disk. A refusal leaves a Warning Event and no annotation, and is decided again later.
 */
public final class PlacementStep implements SetStep {
    /** On a claim: the controller will not rebind a Released volume of its identity, so it is not sticky either. */
    /** How soon a refused claim is decided again when nothing else brings a reconcile (capacity freed elsewhere). */
    static final Duration REVISIT = Duration.ofSeconds(30);
    /**
     * How long a claim waits for a lower ordinal's claim to appear before it is placed anyway: the StatefulSet
     * controller makes them within moments, unless it cannot (a ResourceQuota on claims), which must not hold the
     * others forever.
     */
    static final Duration LOWER_ORDINAL_GRACE = Duration.ofSeconds(10);

    private static final Logger LOG = Logger.getLogger(PlacementStep.class);
    private static final long DEFAULT_SIZE = 1L << 30; // the driver's ordinal.default-volume-size

    private final ClaimAnnotator annotator;
    private final EventRecorder events;
    private final PlacementMetrics metrics;
    /** Per StatefulSet key: claim uid -> the refusal last reported on it, so an unchanged refusal is told once. */
    private final Map<String, Map<String, String>> reported = new ConcurrentHashMap<>();
    private volatile boolean saidBlind;

    public PlacementStep(ClaimAnnotator annotator, EventRecorder events, PlacementMetrics metrics) {
        this.annotator = annotator;
        this.events = events;
        this.metrics = metrics;
    }

    @Override
    public String name() {
        return "placement";
    }

    @Override
    public Optional<Instant> reconcile(StatefulSetView view) {
        String key = view.key();
        if (!view.ordinalSet()) {
            reported.remove(key);
            return Optional.empty();
        }
        ClusterCache cache = view.cache();
        Map<String, String> setAnnotations = view.set().orElseThrow().getMetadata().getAnnotations();
        String ordering = setAnnotations == null ? null : setAnnotations.get(Annotations.ORDERED_BINDING);
        Map<String, String> before = reported.getOrDefault(key, Map.of());
        Map<String, String> now = new HashMap<>();
        Set<String> claimedByVolumes = null; // every PV is read only once some claim may need a placement

        int start = KubeModel.startOrdinal(view.set().orElseThrow());
        int replicas = KubeModel.replicas(view.set().orElseThrow());
        Map<String, Set<Integer>> existing = new HashMap<>();
        for (StatefulSetView.TemplateClaim templateClaim : view.claims()) {
            if (templateClaim.claim().getMetadata().getDeletionTimestamp() == null) {
                existing.computeIfAbsent(templateClaim.id().template(), t -> new HashSet<>()).add(templateClaim.id().ordinal());
            }
        }

        Map<String, PersistentVolumeClaim> byName = new HashMap<>();
        List<ClaimRequest> requests = new ArrayList<>();
        Optional<Instant> heldUntil = Optional.empty();
        for (StatefulSetView.TemplateClaim templateClaim : view.claims()) {
            PersistentVolumeClaim claim = templateClaim.claim();
            if (!unplaced(claim)) {
                continue;
            }
            Optional<StorageClass> storageClass = immediateClass(cache, claim);
            if (storageClass.isEmpty()) {
                continue;
            }
            if (!Placements.inTurn(templateClaim.id().ordinal(), start, replicas, existing.get(templateClaim.id().template()))) {
                // A lower ordinal's claim is about to appear (its event brings the next reconcile); not for ever.
                Instant until = created(claim, view.now()).plus(LOWER_ORDINAL_GRACE);
                if (view.now().isBefore(until)) {
                    heldUntil = heldUntil.filter(h -> h.isBefore(until)).or(() -> Optional.of(until));
                    continue;
                }
            }
            if (claimedByVolumes == null) {
                claimedByVolumes = claimedByVolumes(cache);
            }
            if (claimedByVolumes.contains(claim.getMetadata().getUid())) {
                continue; // A volume is being bound to it: nothing to provision.
            }
            Map<String, String> parameters = parameters(storageClass.get());
            OrderingMode mode = OrderingMode.resolve(ordering, parameters.get(OrderingMode.CLASS_PARAMETER));
            if (mode.gated() && !"true".equals(ClaimAnnotator.annotation(claim, Annotations.ADMITTED))) {
                continue; // Ordered binding has not admitted it: no decision that would hold space for it yet.
            }
            ClassRules rules;
            try {
                rules = ClassRules.parse(parameters, allowedTopologies(storageClass.get()));
            } catch (IllegalArgumentException e) {
                String message = "Cannot place " + claim.getMetadata().getName() + ": StorageClass "
                        + storageClass.get().getMetadata().getName() + " has " + e.getMessage();
                refuse(claim, "parameters", message, before, now);
                continue;
            }
            byName.put(templateClaim.id().claimName(), claim);
            requests.add(new ClaimRequest(templateClaim.id(), bytes(claim), rules, sticky(cache, templateClaim.id(), claim)));
        }
        if (requests.isEmpty()) {
            remember(key, now);
            return earliest(heldUntil, now.isEmpty() ? Optional.empty() : Optional.of(view.now().plus(REVISIT)));
        }
        if (!cache.ordinalNodesSynced() || cache.ordinalNodes().isEmpty()) {
            // No picture of the cluster's storage: the OrdinalNode CRD or the right to list it is missing, or the
            // driver does not run in cluster mode (no node agents report). The driver then places volumes itself;
            // a refusal on every claim would only be noise. An OrdinalNode appearing brings a reconcile.
            if (!saidBlind) {
                saidBlind = true;
                LOG.infof("%s: %d claim(s) of Immediate binding left to the driver's own placement: %s", key,
                        requests.size(), cache.ordinalNodesSynced() ? "no OrdinalNodes (driver not in cluster mode)"
                                : "OrdinalNodes cannot be listed");
            }
            remember(key, now);
            return earliest(heldUntil, now.isEmpty() ? Optional.empty() : Optional.of(view.now().plus(REVISIT)));
        }

        List<PlacementOutcome> outcomes = Placements.plan(storageNodes(cache), existingVolumes(cache, view), requests);
        boolean refused = !now.isEmpty();
        for (PlacementOutcome outcome : outcomes) {
            PersistentVolumeClaim claim = byName.get(outcome.request().claim().claimName());
            if (!outcome.took().isZero()) {
                metrics.decided(outcome.took());
            }
            switch (outcome) {
                case PlacementOutcome.Placed placed -> {
                    annotator.annotate(claim, Annotations.PLACEMENT, placed.where().toString());
                    ClassRules rules = placed.request().rules();
                    events.normal(claim, "ClaimPlaced", "Placed on " + placed.where() + " by the allocator for ordinal "
                            + placed.request().claim().ordinal() + " of " + placed.request().claim().statefulSet() + "/"
                            + placed.request().claim().template() + ": " + human(placed.request().bytes()) + " "
                            + rules.layout() + ", spread " + rules.spread() + ", fit " + rules.fit()
                            + placed.request().sticky().map(s -> "; where its retained volume " + s.volume() + " is")
                                    .orElse(""));
                    metrics.placed();
                }
                case PlacementOutcome.Refused no -> {
                    refused = true;
                    // The largest free disk says something only when disks were left to compare with the size.
                    String numbers = "asked " + human(no.asked()) + (no.reason() == Decision.Reason.CAPACITY
                            ? ", largest free disk where it may go " + human(no.largestFree()) : "");
                    OrdinalClaim id = no.request().claim();
                    refuse(claim, no.reason().name(), "Ordinal " + id.ordinal() + " of " + id.statefulSet() + "/"
                            + id.template() + " (" + numbers + "): " + no.message()
                            + ". Decided again when nodes, disks or volumes change", before, now);
                }
            }
        }
        remember(key, now);
        return earliest(heldUntil, refused ? Optional.of(view.now().plus(REVISIT)) : Optional.empty());
    }

    private static Optional<Instant> earliest(Optional<Instant> a, Optional<Instant> b) {
        if (a.isEmpty()) {
            return b;
        }
        return b.isEmpty() || a.get().isBefore(b.get()) ? a : b;
    }

    private static Instant created(PersistentVolumeClaim claim, Instant now) {
        try {
            String timestamp = claim.getMetadata().getCreationTimestamp();
            return timestamp == null ? now : Instant.parse(timestamp);
        } catch (java.time.format.DateTimeParseException e) {
            return now;
        }
    }

    private void refuse(PersistentVolumeClaim claim, String reason, String message, Map<String, String> before,
            Map<String, String> now) {
        metrics.refused(reason);
        String uid = claim.getMetadata().getUid();
        now.put(uid, message);
        if (!message.equals(before.get(uid))) {
            events.warning(claim, "PlacementRefused", message);
        }
    }

    private void remember(String key, Map<String, String> refusals) {
        if (refusals.isEmpty()) {
            reported.remove(key);
        } else {
            reported.put(key, refusals);
        }
    }

    /** The claim's class when it is Ordinal's, binds Immediately and puts volumes on nodes' disks (not NFS). */
    private static Optional<StorageClass> immediateClass(ClusterCache cache, PersistentVolumeClaim claim) {
        if (!cache.isOrdinal(claim)) {
            return Optional.empty();
        }
        String className = claim.getSpec() == null ? null : claim.getSpec().getStorageClassName();
        return cache.effectiveClass(className)
                .filter(c -> !"WaitForFirstConsumer".equals(c.getVolumeBindingMode())) // unset means Immediate
                .filter(c -> ClassRules.onDisks(parameters(c)));
    }

    /** Pending, not being deleted, not bound to a named volume, and not placed yet. */
    private static boolean unplaced(PersistentVolumeClaim claim) {
        boolean pending = claim.getStatus() == null || claim.getStatus().getPhase() == null
                || "Pending".equals(claim.getStatus().getPhase());
        boolean named = claim.getSpec() != null && claim.getSpec().getVolumeName() != null
                && !claim.getSpec().getVolumeName().isEmpty();
        return pending && !named && claim.getMetadata().getDeletionTimestamp() == null
                && ClaimAnnotator.annotation(claim, Annotations.PLACEMENT) == null;
    }

    private static Map<String, String> parameters(StorageClass storageClass) {
        return storageClass.getParameters() == null ? Map.of() : storageClass.getParameters();
    }

    private static List<Map<String, List<String>>> allowedTopologies(StorageClass storageClass) {
        List<Map<String, List<String>>> terms = new ArrayList<>();
        for (TopologySelectorTerm term : Optional.ofNullable(storageClass.getAllowedTopologies()).orElse(List.of())) {
            Map<String, List<String>> expressions = new LinkedHashMap<>();
            for (TopologySelectorLabelRequirement requirement
                    : Optional.ofNullable(term.getMatchLabelExpressions()).orElse(List.of())) {
                expressions.put(requirement.getKey(), Optional.ofNullable(requirement.getValues()).orElse(List.of()));
            }
            terms.add(expressions);
        }
        return terms;
    }

    private static long bytes(PersistentVolumeClaim claim) {
        Quantity requested = claim.getSpec() == null || claim.getSpec().getResources() == null
                || claim.getSpec().getResources().getRequests() == null ? null
                : claim.getSpec().getResources().getRequests().get("storage");
        return requested == null ? DEFAULT_SIZE : bytes(requested);
    }

    private static long bytes(Quantity quantity) {
        try {
            return Quantity.getAmountInBytes(quantity).setScale(0, java.math.RoundingMode.CEILING).longValueExact();
        } catch (ArithmeticException | IllegalArgumentException e) {
            return 0;
        }
    }

    /** The uids of claims some Ordinal PV names as its claim (bound, or being bound by the PV controller). */
    private static Set<String> claimedByVolumes(ClusterCache cache) {
        Set<String> uids = new HashSet<>();
        for (PersistentVolume volume : cache.persistentVolumes()) {
            if (volume.getSpec() != null && volume.getSpec().getClaimRef() != null
                    && volume.getSpec().getClaimRef().getUid() != null
                    && (volume.getStatus() == null || !"Released".equals(volume.getStatus().getPhase()))) {
                uids.add(volume.getSpec().getClaimRef().getUid());
            }
        }
        return uids;
    }

    /**
     * The newest retained volume (reclaim policy Retain, not Bound, not being deleted) made for this ordinal of this
     * template; none when the claim says {@code rebind: skipped} (a new volume is wanted, wherever it fits).
     */
    private static Optional<StickyVolume> sticky(ClusterCache cache, OrdinalClaim id, PersistentVolumeClaim claim) {
        if (Annotations.REBIND_SKIPPED.equals(ClaimAnnotator.annotation(claim, Annotations.REBIND))) {
            return Optional.empty();
        }
        return cache.persistentVolumes().stream()
                .filter(v -> PersistentVolumes.identity(v).filter(id::equals).isPresent())
                .filter(v -> "Retain".equals(v.getSpec().getPersistentVolumeReclaimPolicy()))
                .filter(v -> v.getStatus() == null || !"Bound".equals(v.getStatus().getPhase()))
                .filter(v -> v.getMetadata().getDeletionTimestamp() == null)
                .max(Comparator.comparing(v -> String.valueOf(v.getMetadata().getCreationTimestamp())))
                .flatMap(v -> PersistentVolumes.location(v).map(l -> new StickyVolume(v.getMetadata().getName(), l.node(), l.disk())));
    }

    /**
     * Every node agent's report that has its disks (read by the contract's rule, as the driver's NodeDirectory reads
     * it), schedulable only when neither it nor the Kubernetes Node says otherwise.
     */
    private static List<StorageNode> storageNodes(ClusterCache cache) {
        List<StorageNode> nodes = new ArrayList<>();
        for (OrdinalNode report : cache.ordinalNodes()) {
            if (!report.reported()) {
                continue;
            }
            String name = report.getMetadata().getName();
            Map<String, String> topology = new HashMap<>();
            Optional.ofNullable(report.getStatus().topology).orElse(Map.of()).forEach((k, v) -> {
                if (v != null) {
                    topology.put(k, v);
                }
            });
            List<StorageDisk> disks = new ArrayList<>();
            for (OrdinalNode.DiskStatus disk : report.getStatus().disks) {
                if (disk == null || disk.name == null) {
                    continue;
                }
                Set<String> layouts = new HashSet<>();
                Optional.ofNullable(disk.layouts).orElse(List.of()).forEach(l -> {
                    if (l != null) {
                        layouts.add(l);
                    }
                });
                // Unreported room means none taken beyond the volumes known here.
                long allocatable = disk.allocatableBytes == null ? disk.capacityBytes : disk.allocatableBytes;
                disks.add(new StorageDisk(disk.name, layouts, disk.capacityBytes, allocatable, disk.healthy));
            }
            nodes.add(new StorageNode(name, topology, !report.cordoned() && schedulable(cache.node(name)), disks));
        }
        return nodes;
    }

    /** A Node that exists, is not cordoned and is Ready takes new volumes. */
    private static boolean schedulable(Optional<Node> node) {
        if (node.isEmpty() || (node.get().getSpec() != null && Boolean.TRUE.equals(node.get().getSpec().getUnschedulable()))) {
            return false;
        }
        return node.get().getStatus() != null && node.get().getStatus().getConditions() != null
                && node.get().getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** Ordinal PVs (by their node, and disk when the id names it) and claims placed whose volume is not made yet. */
    private static List<ExistingVolume> existingVolumes(ClusterCache cache, StatefulSetView view) {
        return existingVolumes(cache.persistentVolumes(), cache.allClaims(), cache::effectiveClass, view);
    }

    /** What is on the disks, or promised to them: the cached volumes, and placed claims not yet among them. */
    static List<ExistingVolume> existingVolumes(List<PersistentVolume> persistentVolumes,
            List<PersistentVolumeClaim> claims, Function<String, Optional<StorageClass>> effectiveClass,
            StatefulSetView view) {
        List<ExistingVolume> volumes = new ArrayList<>();
        Set<String> provisionedFor = new HashSet<>();
        for (PersistentVolume volume : persistentVolumes) {
            Optional<PersistentVolumes.Location> location = PersistentVolumes.location(volume);
            if (location.isEmpty()) {
                continue;
            }
            Map<String, String> attributes = PersistentVolumes.attributes(volume);
            Quantity size = volume.getSpec().getCapacity() == null ? null : volume.getSpec().getCapacity().get("storage");
            Optional<OrdinalClaim> owner = PersistentVolumes.identity(volume).or(() -> claimOfSet(volume, view));
            volumes.add(new ExistingVolume(volume.getMetadata().getName(), location.get().node(), location.get().disk(),
                    attributes.getOrDefault(ClassRules.LAYOUT, "image"), size == null ? 0 : bytes(size), true, owner));
            if (volume.getSpec().getClaimRef() != null && volume.getSpec().getClaimRef().getUid() != null) {
                provisionedFor.add(volume.getSpec().getClaimRef().getUid());
            }
        }
        Map<String, OrdinalClaim> ofThisSet = new HashMap<>();
        view.claims().forEach(c -> ofThisSet.put(c.claim().getMetadata().getUid(), c.id()));
        for (PersistentVolumeClaim claim : claims) {
            String placement = ClaimAnnotator.annotation(claim, Annotations.PLACEMENT);
            int slash = placement == null ? -1 : placement.indexOf('/');
            // A placed claim counts here until its volume is in the volume cache, Bound or not: the claim and volume
            // informers are separate, and a claim seen Bound before its volume must still hold its node, or a hard
            // spread would let a sibling onto it in between.
            if (slash <= 0 || slash == placement.length() - 1 || claim.getMetadata().getDeletionTimestamp() != null
                    || provisionedFor.contains(claim.getMetadata().getUid())) {
                continue;
            }
            String layout = effectiveClass.apply(claim.getSpec() == null ? null : claim.getSpec().getStorageClassName())
                    .map(PlacementStep::parameters).map(p -> p.get(ClassRules.LAYOUT)).orElse("image");
            volumes.add(new ExistingVolume(claim.getMetadata().getNamespace() + "/" + claim.getMetadata().getName(),
                    placement.substring(0, slash), Optional.of(placement.substring(slash + 1)), layout, bytes(claim), false,
                    Optional.ofNullable(ofThisSet.get(claim.getMetadata().getUid()))));
        }
        return volumes;
    }

    /** A volume without recorded identity whose claim is one of this set's: by its claim's name. */
    private static Optional<OrdinalClaim> claimOfSet(PersistentVolume volume, StatefulSetView view) {
        var ref = volume.getSpec().getClaimRef();
        if (ref == null || !view.namespace().equals(ref.getNamespace()) || ref.getName() == null) {
            return Optional.empty();
        }
        for (String template : view.templates()) {
            Optional<OrdinalClaim> id = OrdinalClaim.match(view.namespace(), view.name(), template, ref.getName());
            if (id.isPresent()) {
                return id;
            }
        }
        return Optional.empty();
    }

    static String human(long bytes) {
        return dev.ordinal.allocator.model.Capacity.format(bytes);
    }
}
