package dev.ordinal.driver.cluster;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.contract.crd.OrdinalVolume;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.store.VolumeStore;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The controller's volume store in a cluster: a volume is an OrdinalVolume resource that the node agent of
 * {@code spec.node} makes real and reports on. Each call writes the desired state, then waits (bounded) for
 * the agent's answer, re-raising the code the agent stored when it failed.
 */
public final class ClusterVolumes implements VolumeStore {

    private static final Logger LOG = Logger.getLogger(ClusterVolumes.class);
    /** The annotation naming the controller replica (its pod) that wrote an OrdinalVolume. */
    public static final String PLACED_BY = "ordinal.csi.dev/placed-by";

    private final KubernetesClient client;
    private final NodeDirectory nodes;
    private final Duration wait;
    private final WriteFence fence;

    public ClusterVolumes(KubernetesClient client, NodeDirectory nodes, Duration wait) {
        this(client, nodes, wait, WriteFence.NONE);
    }

    public ClusterVolumes(KubernetesClient client, NodeDirectory nodes, Duration wait, WriteFence fence) {
        this.client = client;
        this.nodes = nodes;
        this.wait = wait;
        this.fence = fence;
    }

    /** The volumes the resources describe; ones being deleted or that failed are not volumes. */
    @Override
    public List<VolumeRecord> recover() {
        return client.resources(OrdinalVolume.class).list().getItems().stream()
                .filter(r -> r.getMetadata().getDeletionTimestamp() == null)
                .filter(r -> r.getStatus() == null || !Resources.FAILED.equals(r.getStatus().phase))
                .map(Resources::volume)
                .toList();
    }

    @Override
    public VolumeRecord create(VolumeRecord record) {
        return apply(record);
    }

    @Override
    public VolumeRecord createFrom(VolumeRecord record, SnapshotRecord snapshot) {
        return apply(record);
    }

    @Override
    public VolumeRecord createFrom(VolumeRecord record, VolumeRecord source) {
        return apply(record);
    }

    @Override
    public VolumeRecord grow(VolumeRecord grown) {
        Resource<OrdinalVolume> resource = resource(grown);
        OrdinalVolume current = resource.get();
        if (current == null) {
            throw new DriverError.NotFound("volume " + grown.id() + " has no OrdinalVolume");
        }
        long previous = current.getSpec().sizeBytes;
        if (previous < grown.capacity().bytes()) {
            resource.edit(r -> {
                r.getSpec().sizeBytes = grown.capacity().bytes();
                return r;
            });
        }
        try {
            waitFor(grown, r -> r.getStatus() != null && r.getStatus().actualSizeBytes >= grown.capacity().bytes()
                    && Resources.READY.equals(r.getStatus().phase), "growing volume " + grown.id());
        } catch (DriverError e) {
            if (!(e instanceof DriverError.Aborted)) {
                // The node could not grow it: the spec goes back to the size the volume really has.
                resource.edit(r -> {
                    r.getSpec().sizeBytes = previous;
                    return r;
                });
            }
            throw e;
        }
        return grown;
    }

    @Override
    public void delete(VolumeRecord record) {
        Resource<OrdinalVolume> resource = resource(record);
        OrdinalVolume current = resource.get();
        if (current == null) {
            return;
        }
        fence.beforeWrite("deleting volume " + record.id());
        Resources.deleteAsRequested(resource, "DeleteVolume");
        if (!nodes.known(record.id().node())) {
            // No agent will ever answer for a node that is gone, and its disks are gone with it.
            LOG.warnf("volume=%s node=%s is not known: releasing the resource without waiting for the node",
                    record.id(), record.id().node());
            dropFinalizer(resource);
        }
        Waiting.until(wait, () -> {
            OrdinalVolume now = resource.get();
            if (now == null) {
                return Optional.of(true);
            }
            if (now.getStatus() != null && Resources.FAILED.equals(now.getStatus().phase)
                    && now.getMetadata().getDeletionTimestamp() != null) {
                throw Resources.failure("deleting volume " + record.id(), now.getStatus().code,
                        now.getStatus().message);
            }
            return Optional.empty();
        }, () -> "volume " + record.id() + " is still being deleted on node " + record.id().node());
    }

    @Override
    public Optional<VolumeRecord> read(VolumeId id) {
        // The catalog, rebuilt from the resources at start and kept by this controller, is the only index.
        return Optional.empty();
    }

    @Override
    public void requireServes(VolumeId id) {
        // Any node of the cluster is served: its agent answers through the resource.
    }

    @Override
    public Optional<Capacity> largestDisk(Layout layout) {
        return nodes.largestDisk(layout);
    }

    private VolumeRecord apply(VolumeRecord record) {
        OrdinalVolume desired = Resources.volume(record);
        Resource<OrdinalVolume> resource = client.resources(OrdinalVolume.class)
                .withName(desired.getMetadata().getName());
        OrdinalVolume existing = resource.get();
        if (existing != null && !Objects.equals(existing.getSpec().volumeId, record.id().toString())) {
            // A placement that failed before (or an older volume of the same name being deleted): it must be
            // gone before this one is written, so the retry starts clean.
            fence.beforeWrite("removing an earlier OrdinalVolume " + desired.getMetadata().getName());
            Resources.deleteAsRequested(resource, "CreateVolume: replaced by a new placement");
            throw new DriverError.Aborted("an earlier OrdinalVolume " + desired.getMetadata().getName()
                    + " for node " + existing.getSpec().node + " is being removed; retry");
        }
        if (existing == null) {
            // Which replica placed it: what shows, on the API server, that no replica placed after losing its Lease.
            fence.identity().ifPresent(identity -> desired.getMetadata().setAnnotations(
                    java.util.Map.of(PLACED_BY, identity)));
            fence.beforeWrite("placing volume " + record.id());
            try {
                resource.create(desired);
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw new DriverError.Internal("cannot create OrdinalVolume " + desired.getMetadata().getName()
                            + ": " + e.getMessage(), e);
                }
            }
        }
        waitFor(record, r -> r.getStatus() != null && Resources.READY.equals(r.getStatus().phase),
                "volume " + record.id() + " is still being made on node " + record.id().node());
        return record;
    }

    /** Waits for the agent; a failure it reported is re-raised, and the failed resource removed. */
    private void waitFor(VolumeRecord record, java.util.function.Predicate<OrdinalVolume> done, String pending) {
        Resource<OrdinalVolume> resource = resource(record);
        Waiting.until(wait, () -> {
            OrdinalVolume now = resource.get();
            if (now == null) {
                throw new DriverError.Aborted("OrdinalVolume for " + record.id() + " vanished; retry");
            }
            if (now.getStatus() != null && Resources.FAILED.equals(now.getStatus().phase)) {
                DriverError failure = Resources.failure("volume " + record.id() + " on node " + record.id().node(),
                        now.getStatus().code, now.getStatus().message);
                if (now.getStatus().actualSizeBytes == 0) {
                    fence.beforeWrite("removing the failed OrdinalVolume of " + record.id());
                    Resources.deleteAsRequested(resource, "CreateVolume: failed on its node");
                }
                throw failure;
            }
            return done.test(now) ? Optional.of(true) : Optional.empty();
        }, () -> pending);
    }

    private Resource<OrdinalVolume> resource(VolumeRecord record) {
        return client.resources(OrdinalVolume.class).withName(Resources.resourceName("vol", record.csiName()));
    }

    static <T extends io.fabric8.kubernetes.api.model.HasMetadata> void dropFinalizer(Resource<T> resource) {
        try {
            resource.edit(r -> {
                r.getMetadata().getFinalizers().remove(OrdinalVolume.FINALIZER);
                return r;
            });
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw new DriverError.Internal("cannot release OrdinalVolume: " + e.getMessage(), e);
            }
        }
    }
}
