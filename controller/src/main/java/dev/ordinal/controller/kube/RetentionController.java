package dev.ordinal.controller.kube;

import dev.ordinal.controller.retention.ClaimAction;
import dev.ordinal.controller.retention.ClaimState;
import dev.ordinal.controller.retention.OrdinalClaim;
import dev.ordinal.controller.retention.OwnerRef;
import dev.ordinal.controller.retention.Retention;
import dev.ordinal.controller.retention.RetentionPlan;
import dev.ordinal.controller.retention.StatefulSetState;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Claim retention for StatefulSets whose volumeClaimTemplates use an Ordinal StorageClass: fabric8 informers on
 * StatefulSets, claims, Pods and StorageClasses feed keys ({@code namespace/statefulset}) to {@link Reconciles};
 * each reconcile reads the caches, asks {@link Retention#plan} what to do, and applies the changes with
 * {@link ClaimWriter}. Informers run on every replica (warm caches for a fast takeover); only the holder of the
 * Lease ({@link Leadership}) reconciles.
 */
public final class RetentionController implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RetentionController.class);
    /** fabric8 informers index by namespace already. */
    private static final String BY_NAMESPACE = Cache.NAMESPACE_INDEX;

    private final KubernetesClient client;
    private final Settings settings;
    private final Clock clock;
    private final ClaimWriter writer;
    private final RetentionMetrics metrics;
    private final Reconciles reconciles;
    private final Leadership leadership;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private SharedIndexInformer<StatefulSet> sets;
    private SharedIndexInformer<PersistentVolumeClaim> claims;
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<StorageClass> classes;

    public RetentionController(KubernetesClient client, io.micrometer.core.instrument.MeterRegistry registry,
            Settings settings, Clock clock) {
        this.client = client;
        this.settings = settings;
        this.clock = clock;
        this.metrics = new RetentionMetrics(registry);
        this.writer = new ClaimWriter(client, new EventRecorder(client, settings.identity()), metrics);
        this.reconciles = new Reconciles(settings.identity(), this::reconcile, metrics);
        this.leadership = new Leadership(client, settings, this::startLeading, reconciles::pause);
    }

    /** Starts the informers, waits for their first listing, then takes part in the election. */
    public RetentionController start() {
        long resync = settings.resync().toMillis();
        classes = inform(client.storage().v1().storageClasses().runnableInformer(resync), c -> reconciles.enqueueAll(setKeys()));
        sets = inform(client.apps().statefulSets().inAnyNamespace().runnableInformer(resync),
                s -> reconciles.enqueue(key(s)));
        claims = inform(client.persistentVolumeClaims().inAnyNamespace().runnableInformer(resync),
                c -> reconciles.enqueueAll(keysOf(c)));
        pods = inform(client.pods().inAnyNamespace().runnableInformer(resync), p -> ownerSet(p).ifPresent(reconciles::enqueue));
        for (SharedIndexInformer<?> informer : informers) {
            informer.start().toCompletableFuture().join();
        }
        leadership.start();
        return this;
    }

    private <T extends HasMetadata> SharedIndexInformer<T> inform(SharedIndexInformer<T> informer, Consumer<T> onChange) {
        informer.addEventHandler(new ResourceEventHandler<T>() {
            @Override
            public void onAdd(T obj) {
                onChange.accept(obj);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                onChange.accept(newObj);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                onChange.accept(obj);
            }
        });
        informers.add(informer);
        return informer;
    }

    private void startLeading() {
        reconciles.resume();
        reconciles.enqueueAll(setKeys());
        for (PersistentVolumeClaim claim : claims.getStore().list()) {
            reconciles.enqueueAll(keysOf(claim));
        }
    }

    public boolean isLeader() {
        return leadership.isLeader();
    }

    public boolean synced() {
        return informers.stream().allMatch(SharedIndexInformer::hasSynced);
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
        leadership.stop();
        reconciles.close();
        informers.forEach(SharedIndexInformer::close);
    }

    private Set<String> setKeys() {
        return Set.copyOf(sets.getStore().listKeys());
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
                ClaimNames.setOfPod(ref.getName()).ifPresent(set -> keys.add(namespace + "/" + set));
            }
        }
        for (StatefulSet set : sets.getIndexer().byIndex(BY_NAMESPACE, namespace)) {
            if (set.getSpec() != null && set.getSpec().getVolumeClaimTemplates() != null && set.getSpec()
                    .getVolumeClaimTemplates().stream().anyMatch(t -> OrdinalClaim.match(namespace,
                            set.getMetadata().getName(), t.getMetadata().getName(), claim.getMetadata().getName()).isPresent())) {
                keys.add(key(set));
            }
        }
        return keys;
    }

    private static Optional<String> ownerSet(Pod pod) {
        return Optional.ofNullable(pod.getMetadata().getOwnerReferences()).orElse(List.of()).stream()
                .filter(ref -> Boolean.TRUE.equals(ref.getController()) && OwnerRef.STATEFUL_SET.equals(ref.getKind()))
                .findFirst().map(ref -> pod.getMetadata().getNamespace() + "/" + ref.getName());
    }

    /** One reconcile of one StatefulSet's claims; the instant to look again, if a grace period runs. */
    Optional<Instant> reconcile(String key) {
        int slash = key.indexOf('/');
        String namespace = key.substring(0, slash);
        String name = key.substring(slash + 1);
        StatefulSet set = sets.getStore().getByKey(key);
        Map<String, PersistentVolumeClaim> byName = new HashMap<>();
        List<ClaimState> states = new ArrayList<>();
        StatefulSetState state;
        List<StorageClass> allClasses = classes.getStore().list();
        if (set == null) {
            state = StatefulSetState.gone(namespace, name, podUids(namespace, name, null));
            for (PersistentVolumeClaim claim : claims.getIndexer().byIndex(BY_NAMESPACE, namespace)) {
                Optional<OrdinalClaim> id = goneClaim(claim, name);
                if (id.isPresent() && KubeModel.isOrdinal(claim, this::storageClass, allClasses)) {
                    byName.put(claim.getMetadata().getName(), claim);
                    states.add(KubeModel.claim(id.get(), claim));
                }
            }
        } else {
            List<String> templates = KubeModel.ordinalTemplates(set, this::storageClass, allClasses);
            if (templates.isEmpty()) {
                return Optional.empty(); // Not a StatefulSet of Ordinal's: never touched.
            }
            state = KubeModel.state(set, podUids(namespace, name, set.getMetadata().getUid()));
            for (PersistentVolumeClaim claim : claims.getIndexer().byIndex(BY_NAMESPACE, namespace)) {
                for (String template : templates) {
                    OrdinalClaim.match(namespace, name, template, claim.getMetadata().getName()).ifPresent(id -> {
                        byName.put(claim.getMetadata().getName(), claim);
                        states.add(KubeModel.claim(id, claim));
                    });
                }
            }
        }
        RetentionPlan plan = Retention.plan(state, states, clock.instant());
        boolean refused = false;
        for (ClaimAction action : plan.changes()) {
            PersistentVolumeClaim claim = byName.get(action.claim().claimName());
            refused |= !writer.apply(state, Optional.ofNullable(set), claim, action);
        }
        if (refused) {
            return Optional.of(clock.instant().plus(Duration.ofSeconds(1)));
        }
        return plan.revisitAt();
    }

    /** A claim of a StatefulSet that is gone: one that names it (or one of its Pods) as owner. */
    private static Optional<OrdinalClaim> goneClaim(PersistentVolumeClaim claim, String setName) {
        String claimName = claim.getMetadata().getName();
        Optional<String> template = ClaimNames.templateOf(claimName, setName);
        if (template.isEmpty() || claim.getMetadata().getOwnerReferences() == null) {
            return Optional.empty();
        }
        Optional<OrdinalClaim> id = OrdinalClaim.match(claim.getMetadata().getNamespace(), setName, template.get(), claimName);
        boolean named = claim.getMetadata().getOwnerReferences().stream()
                .anyMatch(ref -> (OwnerRef.STATEFUL_SET.equals(ref.getKind()) && setName.equals(ref.getName()))
                        || (OwnerRef.POD.equals(ref.getKind()) && id.map(OrdinalClaim::podName).orElse("").equals(ref.getName())));
        return named ? id : Optional.empty();
    }

    private Map<Integer, String> podUids(String namespace, String setName, String setUid) {
        Map<Integer, String> uids = new HashMap<>();
        for (Pod pod : pods.getIndexer().byIndex(BY_NAMESPACE, namespace)) {
            KubeModel.ordinalOf(pod, setName, setUid).ifPresent(ordinal -> uids.put(ordinal, pod.getMetadata().getUid()));
        }
        return uids;
    }

    private Optional<StorageClass> storageClass(String name) {
        return Optional.ofNullable(classes.getStore().getByKey(name));
    }
}
