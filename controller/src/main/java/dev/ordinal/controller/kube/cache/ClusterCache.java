package dev.ordinal.controller.kube.cache;

import dev.ordinal.contract.crd.OrdinalNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * The informers every step reads from: StatefulSets, claims, Pods, StorageClasses, PersistentVolumes, Nodes and
 * OrdinalNodes, one cache each for the whole controller. Steps read; only {@code OrdinalController} routes their
 * events to StatefulSet keys. Informers run on every replica, so a new leader starts with warm caches.
 */
public final class ClusterCache implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ClusterCache.class);

    /** How long start waits for the OrdinalNode listing before going on without it (no CRD, no RBAC). */
    private static final long ORDINAL_NODES_WAIT_SECONDS = 10;

    /** fabric8 informers index by namespace already. */
    private static final String BY_NAMESPACE = Cache.NAMESPACE_INDEX;

    /**
     * Where each informer's events go, one named route per kind of object. Each route gets the object before and
     * after the change: {@code before} is null when it was added, {@code after} when it was deleted.
     */
    public interface EventRoutes {
        void onStorageClass(StorageClass before, StorageClass after);

        void onStatefulSet(StatefulSet before, StatefulSet after);

        void onClaim(PersistentVolumeClaim before, PersistentVolumeClaim after);

        void onPod(Pod before, Pod after);

        void onPersistentVolume(PersistentVolume before, PersistentVolume after);

        void onNode(Node before, Node after);

        void onOrdinalNode(OrdinalNode before, OrdinalNode after);

        /** Only the VolumeSnapshots this controller made ({@link #startSnapshots}). */
        void onVolumeSnapshot(GenericKubernetesResource before, GenericKubernetesResource after);
    }

    /** One informer's events, as its route takes them. */
    private interface Events<T> {
        void changed(T before, T after);
    }

    private final KubernetesClient client;
    private final long resync;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private SharedIndexInformer<StatefulSet> sets;
    private SharedIndexInformer<PersistentVolumeClaim> claims;
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<StorageClass> classes;
    private SharedIndexInformer<PersistentVolume> volumes;
    private SharedIndexInformer<Node> nodes;
    /** The node agents' reports (deploy/crds/ordinalnodes.ordinal.csi.dev.yaml), typed as the contract has them. */
    private SharedIndexInformer<OrdinalNode> ordinalNodes;
    /** Only the VolumeSnapshots this controller made; apart from the others, as their API may not be served. */
    private SharedIndexInformer<GenericKubernetesResource> snapshots;

    public ClusterCache(KubernetesClient client, Duration resync) {
        this.client = client;
        this.resync = resync.toMillis();
    }

    /** Creates the informers with their event routes, starts them and waits for their first listing. */
    public void start(EventRoutes routes) {
        classes = inform(client.storage().v1().storageClasses().runnableInformer(resync), routes::onStorageClass);
        sets = inform(client.apps().statefulSets().inAnyNamespace().runnableInformer(resync), routes::onStatefulSet);
        claims = inform(client.persistentVolumeClaims().inAnyNamespace().runnableInformer(resync), routes::onClaim);
        pods = inform(client.pods().inAnyNamespace().runnableInformer(resync), routes::onPod);
        volumes = inform(client.persistentVolumes().runnableInformer(resync), routes::onPersistentVolume);
        nodes = inform(client.nodes().runnableInformer(resync), routes::onNode);
        // All listings at once, then wait for all: one after the other, 10,000 claims and 10,000 Pods took a second
        // longer to sync (ControllerBenchmark), the client decoding one list while the next could be on its way.
        List<java.util.concurrent.CompletableFuture<Void>> listed = new ArrayList<>();
        for (SharedIndexInformer<?> informer : informers) {
            listed.add(informer.start().toCompletableFuture());
        }
        listed.forEach(java.util.concurrent.CompletableFuture::join);
        // Only placement needs OrdinalNodes: without their CRD (or the right to list them) everything else still
        // runs, and placement waits until the informer has listed them (it keeps trying).
        ordinalNodes = client.resources(OrdinalNode.class).runnableInformer(resync);
        handle(ordinalNodes, routes::onOrdinalNode);
        // fabric8 stops an informer whose first listing fails (404 without the CRD, 403 without RBAC): this one
        // retries, with fabric8's growing delay, so installing the CRD later turns placement on without a restart.
        AtomicBoolean told = new AtomicBoolean();
        ordinalNodes.exceptionHandler((started, failure) -> {
            if (told.compareAndSet(false, true)) {
                LOG.warnf("Listing OrdinalNodes failed, trying again: %s", failure.getMessage());
            }
            return true;
        });
        try {
            ordinalNodes.start().toCompletableFuture().get(ORDINAL_NODES_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warnf("OrdinalNodes cannot be listed yet (%s): no placement for Immediate binding until they can "
                    + "(is the CRD ordinalnodes.ordinal.csi.dev installed, and may the controller list it?)", e.toString());
        }
    }

    private <T extends HasMetadata> SharedIndexInformer<T> inform(SharedIndexInformer<T> informer, Events<T> events) {
        handle(informer, events);
        informers.add(informer);
        return informer;
    }

    private static <T extends HasMetadata> void handle(SharedIndexInformer<T> informer, Events<T> events) {
        informer.addEventHandler(new ResourceEventHandler<T>() {
            @Override
            public void onAdd(T obj) {
                events.changed(null, obj);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                events.changed(oldObj, newObj);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                events.changed(obj, null);
            }
        });
    }

    /**
     * Starts the informer on the VolumeSnapshots this controller made (by label), without waiting for it: the
     * snapshot CRDs are an add-on a cluster may not have (yet). Until it has listed, a claim's snapshot reads as
     * missing, and creating one answers 409 or 404, both handled where snapshots are made. It keeps retrying, so
     * CRDs installed later are picked up.
     */
    public void startSnapshots(EventRoutes routes) {
        snapshots = client.genericKubernetesResources(VolumeSnapshots.CONTEXT).inAnyNamespace()
                .withLabel(VolumeSnapshots.MANAGED_BY, VolumeSnapshots.MANAGER).runnableInformer(resync);
        handle(snapshots, routes::onVolumeSnapshot);
        snapshots.exceptionHandler((started, error) -> true);
        snapshots.start();
    }

    /** A VolumeSnapshot this controller made, as cached (empty also while the snapshot informer has not listed). */
    public Optional<GenericKubernetesResource> volumeSnapshot(String namespace, String name) {
        return snapshots == null ? Optional.empty() : Optional.ofNullable(snapshots.getStore().getByKey(namespace + "/" + name));
    }

    public boolean synced() {
        return !informers.isEmpty() && informers.stream().allMatch(SharedIndexInformer::hasSynced);
    }

    public Optional<StatefulSet> statefulSet(String namespace, String name) {
        return Optional.ofNullable(sets.getStore().getByKey(namespace + "/" + name));
    }

    public List<StatefulSet> statefulSets(String namespace) {
        return sets.getIndexer().byIndex(BY_NAMESPACE, namespace);
    }

    public Set<String> statefulSetKeys() {
        return Set.copyOf(sets.getStore().listKeys());
    }

    public List<PersistentVolumeClaim> claims(String namespace) {
        return claims.getIndexer().byIndex(BY_NAMESPACE, namespace);
    }

    public List<PersistentVolumeClaim> allClaims() {
        return claims.getStore().list();
    }

    public Optional<PersistentVolumeClaim> claim(String namespace, String name) {
        return Optional.ofNullable(claims.getStore().getByKey(namespace + "/" + name));
    }

    public List<Pod> pods(String namespace) {
        return pods.getIndexer().byIndex(BY_NAMESPACE, namespace);
    }

    public Optional<StorageClass> storageClass(String name) {
        return Optional.ofNullable(classes.getStore().getByKey(name));
    }

    public List<StorageClass> storageClasses() {
        return classes.getStore().list();
    }

    public List<PersistentVolume> persistentVolumes() {
        return volumes.getStore().list();
    }

    public Optional<PersistentVolume> persistentVolume(String name) {
        return Optional.ofNullable(volumes.getStore().getByKey(name));
    }

    public List<Node> nodes() {
        return nodes.getStore().list();
    }

    public Optional<Node> node(String name) {
        return Optional.ofNullable(nodes.getStore().getByKey(name));
    }

    /** Whether the OrdinalNode informer has listed them: placement has a picture of the cluster's storage. */
    public boolean ordinalNodesSynced() {
        return ordinalNodes != null && ordinalNodes.hasSynced();
    }

    /** The node agents' OrdinalNode reports. */
    public List<OrdinalNode> ordinalNodes() {
        return ordinalNodes == null ? List.of() : ordinalNodes.getStore().list();
    }

    /**
     * The StorageClass a claim or template naming {@code className} gets: that class, or with none named the default
     * class (the newest of several, as Kubernetes chooses). Empty for {@code ""} (no class: static binding only).
     */
    public Optional<StorageClass> effectiveClass(String className) {
        if (className != null) {
            return className.isEmpty() ? Optional.empty() : storageClass(className);
        }
        return storageClasses().stream()
                .filter(c -> c.getMetadata().getAnnotations() != null
                        && "true".equals(c.getMetadata().getAnnotations().get(KubeModel.DEFAULT_CLASS)))
                .max(Comparator.comparing((StorageClass c) -> String.valueOf(c.getMetadata().getCreationTimestamp()))
                        .thenComparing(c -> c.getMetadata().getName()));
    }

    /** The templates of a StatefulSet whose class (their own, or the default) is provisioned by Ordinal. */
    public List<String> ordinalTemplates(StatefulSet set) {
        return KubeModel.ordinalTemplates(set, this::storageClass, storageClasses());
    }

    public boolean isOrdinal(PersistentVolumeClaim claim) {
        return KubeModel.isOrdinal(claim, this::storageClass, storageClasses());
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::close);
        if (ordinalNodes != null) {
            ordinalNodes.close();
        }
        if (snapshots != null) {
            snapshots.close();
        }
    }
}
