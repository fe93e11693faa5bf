package dev.ordinal.driver.cluster;

import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.contract.Api;
import dev.ordinal.contract.crd.OrdinalNode;
import dev.ordinal.contract.crd.OrdinalSnapshot;
import dev.ordinal.contract.crd.OrdinalVolume;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.Preallocation;
import dev.ordinal.driver.local.DiskSetup;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.local.LocalSnapshots;
import dev.ordinal.driver.local.LocalVolumes;
import dev.ordinal.driver.model.ContentSource;
import dev.ordinal.driver.model.SnapshotId;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.volume.VolumeLocks;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The node side of the cluster contract: watches the OrdinalVolumes and OrdinalSnapshots of this node, makes,
 * grows, snapshots and deletes them with the local backend, and writes their status; reports the node's disks
 * in its OrdinalNode; and reports volumes on its disks that no resource references. Everything it does is derived
 * from the resources and the disks, so after a restart the informers' first listing is all it needs to converge.
 *
 * <p>Data leaves a disk only through its own deletion: a resource the driver's controller deleted (marked
 * {@link OrdinalVolume#DELETION_REQUESTED}). A resource deleted any other way, as when its CRD is deleted, keeps its
 * finalizer and its data, and a volume no resource references is reported, never deleted: a vanished CRD or an
 * empty listing cannot take data with it.
 *
 * <p>The informers' callbacks only queue the changed resource's key ({@link AgentWork}); the work reads the
 * resource's latest state from the informer's cache and holds the same per-volume lock as the node's RPCs, so a
 * NodeStage and the agent's work on one volume never overlap (the RPC gets ABORTED, the work is retried), while
 * work on different volumes and the informers' event delivery go on.
 */
public final class NodeAgent implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(NodeAgent.class);

    private final KubernetesClient client;
    private final NodeName node;
    private final LocalVolumes volumes;
    private final LocalSnapshots snapshots;
    private final VolumeLocks locks;
    private final Map<String, String> topology;
    private final Duration resync;
    private final Duration orphanGrace;
    private final Clock clock;
    /** Unreferenced volumes and snapshots by id: their disk, when the leak check first saw them, whether reported. */
    private final Map<String, Unreferenced> unreferenced = new ConcurrentHashMap<>();
    /** Volumes and snapshots whose refused deletion has been reported (one Event each, not one per resync). */
    private final Set<String> refusalsReported = ConcurrentHashMap.newKeySet();
    private volatile boolean ownerUnreadableLogged;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "ordinal-node-agent");
        thread.setDaemon(true);
        return thread;
    });
    private final AgentWork work;
    private SharedIndexInformer<OrdinalVolume> volumeInformer;
    private SharedIndexInformer<OrdinalSnapshot> snapshotInformer;

    public NodeAgent(KubernetesClient client, NodeName node, LocalVolumes volumes, LocalSnapshots snapshots,
            VolumeLocks locks, Map<String, String> topology, Duration resync, Duration orphanGrace, Clock clock) {
        this.client = client;
        this.node = node;
        this.volumes = volumes;
        this.snapshots = snapshots;
        this.locks = locks;
        this.topology = Map.copyOf(topology);
        this.resync = resync;
        this.orphanGrace = orphanGrace;
        this.clock = clock;
        // A node RPC holds a volume for moments (a mount, a resize): a short pause before trying again.
        this.work = new AgentWork(node.value(), Duration.ofMillis(200), Duration.ofSeconds(10));
    }

    public NodeAgent start() {
        report();
        String label = Resources.nodeLabel(node.value());
        // Made, then given their handlers, then run (which waits for the first listing): the work the handlers
        // queue reads these fields, so they are set before any event can arrive.
        volumeInformer = client.resources(OrdinalVolume.class).withLabel(OrdinalVolume.NODE_LABEL, label)
                .runnableInformer(resync.toMillis());
        volumeInformer.addEventHandler(handler("OrdinalVolume", NodeAgent::settled, this::reconcileVolume));
        snapshotInformer = client.resources(OrdinalSnapshot.class).withLabel(OrdinalVolume.NODE_LABEL, label)
                .runnableInformer(resync.toMillis());
        snapshotInformer.addEventHandler(handler("OrdinalSnapshot", NodeAgent::settled, this::reconcileSnapshot));
        volumeInformer.run();
        snapshotInformer.run();
        timer.scheduleWithFixedDelay(this::housekeeping, resync.toMillis(), resync.toMillis(), TimeUnit.MILLISECONDS);
        LOG.infof("node agent node=%s watching its volumes and snapshots (resync %s, orphan grace %s)", node,
                resync, orphanGrace);
        return this;
    }

    /** One pass of the periodic work: the node's report and the leak check. Public for tests that drive time. */
    public void housekeeping() {
        try {
            report();
            checkLeaks();
        } catch (RuntimeException e) {
            LOG.warnf(e, "node=%s housekeeping failed; it runs again in %s", node, resync);
        }
    }

    /** The work queued for an OrdinalVolume: its latest state in the cache, if it is still there. */
    private void reconcileVolume(String key) {
        OrdinalVolume resource = volumeInformer.getStore().getByKey(key);
        if (resource != null) {
            reconcile(resource);
        }
    }

    private void reconcileSnapshot(String key) {
        OrdinalSnapshot resource = snapshotInformer.getStore().getByKey(key);
        if (resource != null) {
            reconcile(resource);
        }
    }

    /** Throws {@link DriverError.Aborted}, before touching anything, while a node RPC holds the volume. */
    void reconcile(OrdinalVolume resource) {
        VolumeRecord wanted = Resources.volume(resource);
        if (!wanted.id().node().equals(node.value())) {
            return;
        }
        // Nothing to do is decided without the lock, so a resync never makes a node RPC wait or fail.
        if (settled(resource)) {
            return;
        }
        boolean deleting = resource.getMetadata().getDeletionTimestamp() != null;
        if (deleting && !Resources.deletionRequested(resource)) {
            refuseDeletion(resource, "volume " + wanted.id());
            return;
        }
        underLock(wanted.id().toString(), deleting, () -> delete(resource, wanted), () -> make(resource, wanted));
    }

    /**
     * Nothing for the agent to do: deleting and its data already gone (no finalizer left), or made at its size.
     * Read from the resource alone, so the informer's thread can tell it before queuing anything: the agent's
     * own status write comes back as an update, and a resync repeats every resource, both settled.
     */
    static boolean settled(OrdinalVolume resource) {
        if (resource.getMetadata().getDeletionTimestamp() != null) {
            return !resource.getMetadata().getFinalizers().contains(OrdinalVolume.FINALIZER);
        }
        OrdinalVolume.Status status = resource.getStatus();
        return status != null && Resources.READY.equals(status.phase) && resource.getSpec() != null
                && status.actualSizeBytes >= resource.getSpec().sizeBytes;
    }

    /** The work on one volume or snapshot, under the lock a node RPC on the same id takes. */
    private void underLock(String id, boolean deleting, Runnable delete, Runnable make) {
        try (VolumeLocks.Held lock = locks.acquire(id, "node agent " + (deleting ? "deleting" : "making") + " it")) {
            if (deleting) {
                delete.run();
            } else {
                make.run();
            }
        }
    }

    /**
     * A resource being deleted that the controller did not delete: its CRD was deleted (Kubernetes deletes every
     * resource of it first), or someone deleted it by hand. The data stays and so does the finalizer, which keeps
     * the resource (and a deleted CRD) until someone decides: the controller's DeleteVolume, retried, marks it and
     * the data goes; removing the finalizer by hand lets the resource go and leaves the data, reported as
     * unreferenced. Reported once per resource (log, Event on it); counted by {@link #checkLeaks}.
     */
    private void refuseDeletion(HasMetadata resource, String what) {
        if (refusalsReported.add(resource.getMetadata().getName())) {
            event(resource.getKind(), resource.getMetadata().getName(), "DeletionRefused", what + " on node " + node
                    + ": its " + resource.getKind() + " is being deleted, but not by the driver's DeleteVolume or "
                    + "DeleteSnapshot (was its CRD deleted?); the data and the finalizer " + OrdinalVolume.FINALIZER
                    + " stay. Remove the finalizer by hand to let the resource go and keep the data.");
        }
    }

    private void delete(OrdinalVolume resource, VolumeRecord wanted) {
        try {
            volumes.delete(wanted);
            dropFinalizer(resource);
            LOG.infof("volume=%s deleted from node=%s", wanted.id(), node);
        } catch (DriverError e) {
            volumeStatus(resource, Resources.FAILED, Resources.codeOf(e), e.getMessage(), wanted.capacity().bytes());
        }
    }

    private void make(OrdinalVolume resource, VolumeRecord wanted) {
        Optional<VolumeRecord> existing = volumes.read(wanted.id());
        try {
            VolumeRecord made;
            if (existing.isEmpty()) {
                made = switch (wanted.source()) {
                    case ContentSource.Empty e -> volumes.create(wanted);
                    case ContentSource.FromSnapshot s -> volumes.createFrom(wanted, localSnapshot(s.snapshotId()));
                    case ContentSource.FromVolume v -> volumes.createFrom(wanted, localVolume(v.volumeId()));
                };
            } else if (existing.get().capacity().bytes() < wanted.capacity().bytes()) {
                made = volumes.grow(existing.get().withCapacity(wanted.capacity()));
            } else {
                made = existing.get();
            }
            volumeStatus(resource, Resources.READY, null, null, made.capacity().bytes());
        } catch (DriverError e) {
            LOG.warnf("volume=%s node=%s failed: %s", wanted.id(), node, e.getMessage());
            volumeStatus(resource, Resources.FAILED, Resources.codeOf(e), e.getMessage(),
                    existing.map(r -> r.capacity().bytes()).orElse(0L));
        }
    }

    /** As for a volume, under the snapshot's own lock (the controller's key for it too). */
    void reconcile(OrdinalSnapshot resource) {
        SnapshotRecord wanted = Resources.snapshot(resource);
        if (!wanted.id().node().equals(node.value())) {
            return;
        }
        if (settled(resource)) {
            return;
        }
        boolean deleting = resource.getMetadata().getDeletionTimestamp() != null;
        if (deleting && !Resources.deletionRequested(resource)) {
            refuseDeletion(resource, "snapshot " + wanted.id());
            return;
        }
        underLock(wanted.id().toString(), deleting, () -> delete(resource, wanted), () -> make(resource, wanted));
    }

    /** As for a volume: deleting with its data gone, or ready. */
    static boolean settled(OrdinalSnapshot resource) {
        if (resource.getMetadata().getDeletionTimestamp() != null) {
            return !resource.getMetadata().getFinalizers().contains(OrdinalVolume.FINALIZER);
        }
        return resource.getStatus() != null && resource.getStatus().readyToUse;
    }

    private void delete(OrdinalSnapshot resource, SnapshotRecord wanted) {
        try {
            snapshots.delete(wanted);
            dropFinalizer(resource);
        } catch (DriverError e) {
            snapshotStatus(resource, Resources.FAILED, false, Resources.codeOf(e), e.getMessage());
        }
    }

    private void make(OrdinalSnapshot resource, SnapshotRecord wanted) {
        try {
            if (snapshots.read(wanted.id()).isEmpty()) {
                snapshots.create(wanted, localVolume(wanted.source().toString()));
            }
            snapshotStatus(resource, Resources.READY, true, null, null);
        } catch (DriverError e) {
            snapshotStatus(resource, Resources.FAILED, false, Resources.codeOf(e), e.getMessage());
        }
    }

    /** Writes this node's OrdinalNode status: its topology and each disk's capacity, free room and health. */
    void report() {
        Map<String, Long> taken = new HashMap<>();
        // Image volumes hold all their blocks already (see Inventory.refreshCapacity); snapshots do not.
        Map<String, Long> preallocated = new HashMap<>();
        for (VolumeRecord volume : volumes.list()) {
            taken.merge(volume.id().disk(), volume.capacity().bytes(), Long::sum);
            if (volume.layout() == Layout.IMAGE) {
                preallocated.merge(volume.id().disk(), volume.capacity().bytes(), Long::sum);
            }
        }
        snapshots.list().forEach(s -> taken.merge(s.id().disk(), s.size().bytes(), Long::sum));
        List<OrdinalNode.DiskStatus> disks = new ArrayList<>();
        for (LocalDisk disk : volumes.disks()) {
            OrdinalNode.DiskStatus status = new OrdinalNode.DiskStatus();
            status.name = disk.name().value();
            status.path = disk.root().toString();
            status.filesystem = disk.filesystem();
            status.layouts = disk.layouts().stream().map(l -> l.wireName()).sorted().toList();
            status.healthy = DiskSetup.usable(disk);
            // What the disk can hold for volumes now, not its size: the controller's allocator promises no more.
            long free = 0;
            try {
                free = status.healthy ? Preallocation.usableBytes(disk.root()) : 0;
            } catch (DriverError e) {
                LOG.warnf("disk=%s free space unreadable, reporting no room: %s", disk.name(), e.getMessage());
            }
            status.capacityBytes = LocalVolumes.usableCapacity(disk, free,
                    preallocated.getOrDefault(status.name, 0L)).bytes();
            status.allocatableBytes = Math.max(0, status.capacityBytes - taken.getOrDefault(status.name, 0L));
            disks.add(status);
        }
        OrdinalNode.Status status = new OrdinalNode.Status();
        status.topology = topology;
        status.disks = disks;
        status.heartbeat = clock.instant().toString();
        var resource = client.resources(OrdinalNode.class).withName(node.value());
        OrdinalNode existing = resource.get();
        // The Node is read only while the OrdinalNode lacks an owner: once per node, not once per report.
        Optional<OwnerReference> owner = existing == null || existing.getMetadata().getOwnerReferences().isEmpty()
                ? nodeOwner() : Optional.empty();
        if (existing == null) {
            OrdinalNode fresh = new OrdinalNode();
            fresh.setMetadata(new ObjectMetaBuilder().withName(node.value())
                    .withOwnerReferences(owner.stream().toList()).build());
            fresh.setSpec(new OrdinalNode.Spec());
            try {
                resource.create(fresh);
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
            }
        } else if (owner.isPresent()) {
            // An OrdinalNode made before it had an owner (an upgrade), or while its Node could not be read.
            resource.edit(current -> {
                current.getMetadata().setOwnerReferences(new ArrayList<>(List.of(owner.get())));
                return current;
            });
        }
        // The whole status is replaced: a merge of lists would keep disks this node no longer has.
        resource.editStatus(current -> {
            current.setStatus(status);
            return current;
        });
    }

    /**
     * The Kubernetes Node this agent runs on, as the owner of its OrdinalNode: when the Node object is deleted (the
     * node is gone for good), Kubernetes' garbage collector deletes the OrdinalNode, and the controller then knows
     * that no agent will answer for the node's volumes (ClusterVolumes.delete releases them without it). Empty when
     * the Node cannot be read (no such Node, as outside Kubernetes; no permission): the OrdinalNode has no owner.
     */
    private Optional<OwnerReference> nodeOwner() {
        try {
            io.fabric8.kubernetes.api.model.Node kubeNode = client.nodes().withName(node.value()).get();
            if (kubeNode == null) {
                return Optional.empty();
            }
            return Optional.of(new OwnerReferenceBuilder().withApiVersion("v1").withKind("Node")
                    .withName(node.value()).withUid(kubeNode.getMetadata().getUid()).build());
        } catch (KubernetesClientException e) {
            if (!ownerUnreadableLogged) {
                ownerUnreadableLogged = true;
                LOG.warnf("node=%s Node unreadable (HTTP %d), its OrdinalNode has no owner and outlives the Node"
                        + " (deleting the Node will not release its volumes): %s", node, e.getCode(), e.getMessage());
            }
            return Optional.empty();
        }
    }

    /**
     * Volumes and snapshots on this node's disks that no resource references: reported (metric and Event) once they
     * have stayed unreferenced for the grace period and were made longer ago than that (so a creation racing with
     * this check is never reported), and never deleted: the record may be what is missing (a CRD deleted, a
     * resource whose finalizer was removed by hand, an etcd restored from an older backup), not the reason for the
     * data. And the resources being deleted that the controller did not delete (see {@link #refuseDeletion}).
     * Both counts are the current ones, so the gauge falls when an operator removes an orphan or a resource
     * references it again. Synchronized only against itself (the timer and a test driving {@link #housekeeping}).
     */
    synchronized void checkLeaks() {
        if (volumeInformer == null || !volumeInformer.hasSynced() || !snapshotInformer.hasSynced()) {
            return;
        }
        Instant now = clock.instant();
        Set<String> seen = new java.util.HashSet<>();
        List<OrdinalVolume> volumeResources = volumeInformer.getStore().list();
        Set<String> volumeIds = volumeResources.stream().map(r -> r.getSpec().volumeId).collect(Collectors.toSet());
        for (VolumeRecord volume : volumes.list()) {
            leak(volume.id().toString(), volume.id().disk(), volume.createdAt(), volumeIds, seen, now,
                    "volume " + volume.id() + " (" + volume.capacity() + ", claim " + volume.claim() + ")");
        }
        List<OrdinalSnapshot> snapshotResources = snapshotInformer.getStore().list();
        Set<String> snapshotIds = snapshotResources.stream().map(r -> r.getSpec().snapshotId)
                .collect(Collectors.toSet());
        for (SnapshotRecord snapshot : snapshots.list()) {
            leak(snapshot.id().toString(), snapshot.id().disk(), snapshot.createdAt(), snapshotIds, seen, now,
                    "snapshot " + snapshot.id() + " of volume " + snapshot.source());
        }
        unreferenced.keySet().retainAll(seen);
        Map<String, Integer> perDisk = new HashMap<>();
        unreferenced.values().stream().filter(Unreferenced::reported)
                .forEach(u -> perDisk.merge(u.disk(), 1, Integer::sum));

        Map<String, Integer> refusedPerDisk = new HashMap<>();
        Set<String> refused = new java.util.HashSet<>();
        for (OrdinalVolume resource : volumeResources) {
            if (refusedDeletion(resource)) {
                refused.add(resource.getMetadata().getName());
                refusedPerDisk.merge(resource.getSpec().disk, 1, Integer::sum);
            }
        }
        for (OrdinalSnapshot resource : snapshotResources) {
            if (refusedDeletion(resource)) {
                refused.add(resource.getMetadata().getName());
                SnapshotId.parse(resource.getSpec().snapshotId)
                        .ifPresent(id -> refusedPerDisk.merge(id.disk(), 1, Integer::sum));
            }
        }
        refusalsReported.retainAll(refused);
        for (LocalDisk disk : volumes.disks()) {
            volumes.unreferenced(disk.name(), perDisk.getOrDefault(disk.name().value(), 0));
            volumes.deletionsRefused(disk.name(), refusedPerDisk.getOrDefault(disk.name().value(), 0));
        }
    }

    private static boolean refusedDeletion(HasMetadata resource) {
        return resource.getMetadata().getDeletionTimestamp() != null
                && resource.getMetadata().getFinalizers().contains(OrdinalVolume.FINALIZER)
                && !Resources.deletionRequested(resource);
    }

    private record Unreferenced(String disk, Instant since, boolean reported) {
    }

    private void leak(String id, String disk, Instant createdAt, Set<String> referenced, Set<String> seen,
            Instant now, String what) {
        if (referenced.contains(id)) {
            return;
        }
        seen.add(id);
        Unreferenced found = unreferenced.computeIfAbsent(id, k -> new Unreferenced(disk, now, false));
        if (found.reported() || found.since().plus(orphanGrace).isAfter(now)
                || createdAt.plus(orphanGrace).isAfter(now)) {
            return;
        }
        unreferenced.put(id, new Unreferenced(disk, found.since(), true));
        event("OrdinalNode", node.value(), "OrphanFound", what + " is on disk " + disk + " but no resource has "
                + "referenced it for " + orphanGrace + "; it stays there (the driver deletes no data without its "
                + "record): restore its OrdinalVolume or OrdinalSnapshot, or remove it by hand");
    }

    /** Volumes and snapshots found unreferenced, reported or still within their grace period. */
    public Set<String> orphans() {
        return Set.copyOf(unreferenced.keySet());
    }

    private SnapshotRecord localSnapshot(String rawId) {
        SnapshotId id = SnapshotId.parse(rawId).orElseThrow(() -> new DriverError.NotFound("snapshot " + rawId
                + " is not an id this driver made"));
        return snapshots.read(id).orElseThrow(() -> new DriverError.NotFound("snapshot " + id + " is not on node "
                + node));
    }

    private VolumeRecord localVolume(String rawId) {
        VolumeId id = VolumeId.parse(rawId).orElseThrow(() -> new DriverError.NotFound("volume " + rawId
                + " is not an id this driver made"));
        return volumes.read(id).orElseThrow(() -> new DriverError.NotFound("volume " + id + " is not on node "
                + node));
    }

    private void volumeStatus(OrdinalVolume resource, String phase, String code, String message, long size) {
        OrdinalVolume.Status status = new OrdinalVolume.Status();
        status.phase = phase;
        status.code = code;
        status.message = message;
        status.actualSizeBytes = size;
        status.path = Resources.READY.equals(phase)
                ? volumes.pathOf(VolumeId.parse(resource.getSpec().volumeId).orElseThrow()).toString() : null;
        status.observedGeneration = resource.getMetadata().getGeneration();
        resource.setStatus(status);
        patchStatus(() -> client.resource(resource).patchStatus());
    }

    private void snapshotStatus(OrdinalSnapshot resource, String phase, boolean ready, String code, String message) {
        OrdinalSnapshot.Status status = new OrdinalSnapshot.Status();
        status.phase = phase;
        status.readyToUse = ready;
        status.code = code;
        status.message = message;
        resource.setStatus(status);
        patchStatus(() -> client.resource(resource).patchStatus());
    }

    private void dropFinalizer(HasMetadata resource) {
        try {
            client.resource(resource).edit(r -> {
                r.getMetadata().getFinalizers().remove(OrdinalVolume.FINALIZER);
                return r;
            });
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    private static void patchStatus(Runnable patch) {
        try {
            patch.run();
        } catch (KubernetesClientException e) {
            // Gone already (deleted while we worked): nothing left to report on.
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    /** A Warning Event on a cluster-scoped object of the contract (an OrdinalNode, OrdinalVolume or OrdinalSnapshot). */
    private void event(String kind, String name, String reason, String message) {
        LOG.warnf("node=%s %s: %s", node, reason, message);
        try {
            client.v1().events().inNamespace("default").resource(new EventBuilder()
                    .withMetadata(new ObjectMetaBuilder().withGenerateName("ordinal-" + node.value() + "-").build())
                    .withNewInvolvedObject().withApiVersion(Api.API_VERSION).withKind(kind)
                    .withName(name).endInvolvedObject()
                    .withReason(reason).withMessage(message).withType("Warning")
                    .withFirstTimestamp(clock.instant().toString()).withLastTimestamp(clock.instant().toString())
                    .withCount(1).withNewSource().withComponent("ordinal-node-agent").withHost(node.value())
                    .endSource().build()).create();
        } catch (KubernetesClientException e) {
            LOG.debugf("event %s not recorded: %s", reason, e.getMessage());
        }
    }

    /**
     * Records which resource changed; the work runs on {@link AgentWork}'s threads, never on the informer's. A
     * change that leaves the resource {@code settled} queues nothing: half the events (the echo of each status the
     * agent writes, every resync) would otherwise each cost a hand-off to a worker that then finds nothing to do,
     * on the path of the next volume's work. Work already queued for the key still runs and reads the latest state.
     */
    private <T extends HasMetadata> ResourceEventHandler<T> handler(String kind, Predicate<T> settled,
            Consumer<String> reconcile) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T resource) {
                queue(resource);
            }

            @Override
            public void onUpdate(T before, T after) {
                queue(after);
            }

            @Override
            public void onDelete(T resource, boolean unknownFinalState) {
                // The finalizer guarantees an update with a deletion timestamp first; that is where data goes.
            }

            private void queue(T resource) {
                if (settled.test(resource)) {
                    return;
                }
                String key = Cache.metaNamespaceKeyFunc(resource);
                work.submit(kind + " " + key, () -> reconcile.accept(key));
            }
        };
    }

    @Override
    public void close() {
        // No new events first, then no new housekeeping, then the volume work in flight finishes.
        if (volumeInformer != null) {
            volumeInformer.close();
        }
        if (snapshotInformer != null) {
            snapshotInformer.close();
        }
        timer.shutdownNow();
        work.close();
    }
}
