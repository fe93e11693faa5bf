package dev.ordinal.controller.kube;

import dev.ordinal.contract.claim.ClaimName;
import dev.ordinal.contract.crd.OrdinalNode;
import dev.ordinal.controller.kube.cache.ClusterCache;
import dev.ordinal.controller.kube.cache.NodeStates;
import dev.ordinal.controller.kube.cache.PersistentVolumes;
import dev.ordinal.controller.kube.cache.VolumeSnapshots;
import dev.ordinal.controller.kube.metrics.ControllerMetrics;
import dev.ordinal.controller.kube.metrics.OrderedBindingMetrics;
import dev.ordinal.controller.kube.metrics.PlacementMetrics;
import dev.ordinal.controller.kube.metrics.VolumeGrowMetrics;
import dev.ordinal.controller.kube.step.NodeLossStep;
import dev.ordinal.controller.kube.step.OrderedBindingStep;
import dev.ordinal.controller.kube.step.PlacementStep;
import dev.ordinal.controller.kube.step.RebindStep;
import dev.ordinal.controller.kube.step.RetentionStep;
import dev.ordinal.controller.kube.step.SetStep;
import dev.ordinal.controller.kube.step.StatefulSetView;
import dev.ordinal.controller.kube.step.VolumeGrowStep;
import dev.ordinal.controller.kube.write.ClaimAnnotator;
import dev.ordinal.controller.kube.write.ClaimWriter;
import dev.ordinal.controller.kube.write.EventRecorder;
import dev.ordinal.controller.kube.write.NodeLossWriter;
import dev.ordinal.controller.kube.write.RebindWriter;
import dev.ordinal.controller.kube.write.VolumeGrowWriter;
import dev.ordinal.controller.kube.write.Writes;
import dev.ordinal.controller.model.OrdinalClaim;
import dev.ordinal.controller.retention.OwnerRef;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The companion controller: one reconcile per StatefulSet key ({@code namespace/name}), run by {@link Reconciles}
 * on the leader only, made of {@link SetStep}s in a fixed order. fabric8 informers ({@link ClusterCache}) feed the
 * keys: a StatefulSet's own events, and those of its claims, Pods, PersistentVolumes and Nodes mapped to it (and a
 * change of any OrdinalNode's storage to every set).
 */
public final class OrdinalController implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(OrdinalController.class);

    private final Settings settings;
    private final Clock clock;
    private final ClusterCache cache;
    private final Reconciles reconciles;
    private final Leadership leadership;
    private final List<SetStep> steps;
    private final EventRecorder events;

    public OrdinalController(KubernetesClient client, MeterRegistry registry, Settings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        ControllerMetrics metrics = new ControllerMetrics(registry);
        this.events = new EventRecorder(client, settings.identity());
        this.cache = new ClusterCache(client, settings.resync());
        NodeStates nodes = new NodeStates();
        Writes writes = new Writes(client, this::isLeader);
        ClaimAnnotator annotator = new ClaimAnnotator(writes);
        this.steps = List.of(
                // A re-created claim gets its Released volume back before anything new is admitted or placed.
                new RebindStep(new RebindWriter(client, writes, events, metrics), nodes),
                // Admission before placement: a claim is placed only once admitted.
                new OrderedBindingStep(annotator, events, new OrderedBindingMetrics(registry)),
                new PlacementStep(annotator, events, new PlacementMetrics(registry)),
                new RetentionStep(new ClaimWriter(client, writes, events, metrics)),
                new NodeLossStep(new NodeLossWriter(client, writes, events, metrics, nodes), nodes, events),
                // Claim-template resizes, ordinal by ordinal: last, on claims the steps above have settled.
                volumeGrowStep(writes, registry));
        this.reconciles = new Reconciles(settings.identity(), this::reconcile, metrics);
        this.leadership = new Leadership(client, settings, this::startLeading, reconciles::pause);
    }

    private VolumeGrowStep volumeGrowStep(Writes writes, MeterRegistry registry) {
        VolumeGrowMetrics growMetrics = new VolumeGrowMetrics(registry);
        return new VolumeGrowStep(new VolumeGrowWriter(writes, events, growMetrics), growMetrics);
    }

    /** Starts the informers, waits for their first listing, then takes part in the election. */
    public OrdinalController start() {
        Routes routes = new Routes();
        cache.start(routes);
        cache.startSnapshots(routes);
        leadership.start();
        return this;
    }

    private void startLeading() {
        reconciles.resume();
        reconciles.enqueueAll(cache.statefulSetKeys());
        for (PersistentVolumeClaim claim : cache.allClaims()) {
            reconciles.enqueueAll(keysOf(claim));
        }
    }

    public boolean isLeader() {
        return leadership.isLeader();
    }

    public boolean synced() {
        return cache.synced();
    }

    public String identity() {
        return settings.identity();
    }

    /** Gives up the Lease (if held) and stops reconciling; the informers keep running. */
    public void stopLeading() {
        leadership.stop();
    }

    /** Takes part in the election again after {@link #stopLeading()}. */
    public void resumeElection() {
        leadership.start();
    }

    @Override
    public void close() {
        leadership.close();
        reconciles.close();
        events.close();
        cache.close();
    }

    private static String key(HasMetadata object) {
        return object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
    }

    /** The StatefulSets a claim may belong to: its owners', and every cached set whose templates name it. */
    private List<String> keysOf(PersistentVolumeClaim claim) {
        String namespace = claim.getMetadata().getNamespace();
        List<String> keys = new ArrayList<>();
        for (OwnerReference ref : Optional.ofNullable(claim.getMetadata().getOwnerReferences()).orElse(List.of())) {
            if (OwnerRef.STATEFUL_SET.equals(ref.getKind())) {
                keys.add(namespace + "/" + ref.getName());
            } else if (OwnerRef.POD.equals(ref.getKind())) {
                ClaimName.statefulSetOfPod(ref.getName()).ifPresent(set -> keys.add(namespace + "/" + set));
            }
        }
        for (StatefulSet set : cache.statefulSets(namespace)) {
            if (set.getSpec() != null && set.getSpec().getVolumeClaimTemplates() != null && set.getSpec()
                    .getVolumeClaimTemplates().stream().anyMatch(t -> OrdinalClaim.match(namespace,
                            set.getMetadata().getName(), t.getMetadata().getName(), claim.getMetadata().getName()).isPresent())) {
                keys.add(key(set));
            }
        }
        return keys;
    }

    /** A volume matters to the set it was made for: by the identity the driver recorded, or by its claim. */
    private List<String> keysOf(PersistentVolume volume) {
        Optional<OrdinalClaim> identity = PersistentVolumes.identity(volume);
        if (identity.isPresent()) {
            return List.of(identity.get().namespace() + "/" + identity.get().statefulSet());
        }
        ObjectReference ref = volume.getSpec() == null ? null : volume.getSpec().getClaimRef();
        if (ref == null || ref.getNamespace() == null || ref.getName() == null) {
            return List.of();
        }
        return cache.claim(ref.getNamespace(), ref.getName()).map(this::keysOf).orElse(List.of());
    }

    /** Which StatefulSet keys each informer event queues. */
    private final class Routes implements ClusterCache.EventRoutes {

        /** A class can change which templates are Ordinal's in any set (the default class, say). */
        @Override
        public void onStorageClass(StorageClass before, StorageClass after) {
            reconciles.enqueueAll(cache.statefulSetKeys());
        }

        @Override
        public void onStatefulSet(StatefulSet before, StatefulSet after) {
            reconciles.enqueue(key(after != null ? after : before));
        }

        @Override
        public void onClaim(PersistentVolumeClaim before, PersistentVolumeClaim after) {
            reconciles.enqueueAll(keysOf(after != null ? after : before));
        }

        @Override
        public void onPod(Pod before, Pod after) {
            ownerSet(after != null ? after : before).ifPresent(reconciles::enqueue);
        }

        @Override
        public void onPersistentVolume(PersistentVolume before, PersistentVolume after) {
            reconciles.enqueueAll(keysOf(after != null ? after : before));
        }

        /** Nodes come and go rarely, but report status often: only a change of readiness (or the node) matters. */
        @Override
        public void onNode(Node before, Node after) {
            if (before == null || after == null || !Objects.equals(ready(before), ready(after))) {
                reconciles.enqueueAll(cache.statefulSetKeys());
            }
        }

        /**
         * A node agent's report changes placement when its disks, topology or cordon change; its heartbeat alone
         * (every resync) does not.
         */
        @Override
        public void onOrdinalNode(OrdinalNode before, OrdinalNode after) {
            if (before == null || after == null || !Objects.equals(storage(before), storage(after))) {
                reconciles.enqueueAll(cache.statefulSetKeys());
            }
        }

        @Override
        public void onVolumeSnapshot(GenericKubernetesResource before, GenericKubernetesResource after) {
            VolumeSnapshots.statefulSetKey(after != null ? after : before).ifPresent(reconciles::enqueue);
        }
    }

    private static List<Object> storage(OrdinalNode report) {
        OrdinalNode.Status status = report.getStatus();
        return Arrays.asList(report.getSpec(), status == null ? null : status.disks,
                status == null ? null : status.topology);
    }

    private static String ready(Node node) {
        return Optional.ofNullable(node.getStatus()).map(s -> s.getConditions()).orElse(List.of()).stream()
                .filter(c -> "Ready".equals(c.getType())).map(NodeCondition::getStatus).findFirst().orElse("Unknown");
    }

    private static Optional<String> ownerSet(Pod pod) {
        return Optional.ofNullable(pod.getMetadata().getOwnerReferences()).orElse(List.of()).stream()
                .filter(ref -> Boolean.TRUE.equals(ref.getController()) && OwnerRef.STATEFUL_SET.equals(ref.getKind()))
                .findFirst().map(ref -> pod.getMetadata().getNamespace() + "/" + ref.getName());
    }

    /** One reconcile of one StatefulSet: every step in turn; the earliest instant any of them asks to look again. */
    Optional<Instant> reconcile(String key) throws Exception {
        int slash = key.indexOf('/');
        StatefulSetView view = view(key.substring(0, slash), key.substring(slash + 1));
        Optional<Instant> revisit = Optional.empty();
        Exception failure = null;
        for (SetStep step : steps) {
            try {
                Optional<Instant> at = step.reconcile(view);
                if (at.isPresent() && (revisit.isEmpty() || at.get().isBefore(revisit.get()))) {
                    revisit = at;
                }
            } catch (Exception e) {
                LOG.debugf("Step %s of %s failed: %s", step.name(), key, e.getMessage());
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return revisit;
    }

    private StatefulSetView view(String namespace, String name) {
        Optional<StatefulSet> set = cache.statefulSet(namespace, name);
        List<String> templates = set.map(cache::ordinalTemplates).orElse(List.of());
        List<StatefulSetView.TemplateClaim> claims = new ArrayList<>();
        if (!templates.isEmpty()) {
            for (PersistentVolumeClaim claim : cache.claims(namespace)) {
                for (String template : templates) {
                    OrdinalClaim.match(namespace, name, template, claim.getMetadata().getName())
                            .ifPresent(id -> claims.add(new StatefulSetView.TemplateClaim(id, claim)));
                }
            }
        }
        return new StatefulSetView(namespace, name, set, templates, List.copyOf(claims), cache, clock.instant());
    }
}
