package dev.ordinal.driver.cluster;

import dev.ordinal.contract.crd.OrdinalSnapshot;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.SnapshotId;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.store.SnapshotStore;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The controller's snapshot store in a cluster: an OrdinalSnapshot that the source's node agent takes. */
public final class ClusterSnapshots implements SnapshotStore {

    private final KubernetesClient client;
    private final NodeDirectory nodes;
    private final Duration wait;

    public ClusterSnapshots(KubernetesClient client, NodeDirectory nodes, Duration wait) {
        this.client = client;
        this.nodes = nodes;
        this.wait = wait;
    }

    @Override
    public List<SnapshotRecord> recover() {
        return client.resources(OrdinalSnapshot.class).list().getItems().stream()
                .filter(r -> r.getMetadata().getDeletionTimestamp() == null)
                .filter(r -> r.getStatus() == null || !Resources.FAILED.equals(r.getStatus().phase))
                .map(Resources::snapshot)
                .toList();
    }

    @Override
    public SnapshotRecord create(SnapshotRecord snapshot, VolumeRecord source) {
        OrdinalSnapshot desired = Resources.snapshot(snapshot);
        Resource<OrdinalSnapshot> resource = resource(snapshot);
        if (resource.get() == null) {
            try {
                resource.create(desired);
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw new DriverError.Internal("cannot create OrdinalSnapshot " + desired.getMetadata().getName()
                            + ": " + e.getMessage(), e);
                }
            }
        }
        Waiting.until(wait, () -> {
            OrdinalSnapshot now = resource.get();
            if (now == null) {
                throw new DriverError.Aborted("OrdinalSnapshot for " + snapshot.id() + " vanished; retry");
            }
            if (now.getStatus() != null && Resources.FAILED.equals(now.getStatus().phase)) {
                Resources.deleteAsRequested(resource, "CreateSnapshot: failed on its node");
                throw Resources.failure("snapshot " + snapshot.id() + " on node " + snapshot.id().node(),
                        now.getStatus().code, now.getStatus().message);
            }
            return now.getStatus() != null && now.getStatus().readyToUse ? Optional.of(true) : Optional.empty();
        }, () -> "snapshot " + snapshot.id() + " is still being taken on node " + snapshot.id().node());
        return snapshot;
    }

    @Override
    public Optional<SnapshotRecord> read(SnapshotId id) {
        return Optional.empty();
    }

    @Override
    public void delete(SnapshotRecord snapshot) {
        Resource<OrdinalSnapshot> resource = resource(snapshot);
        if (resource.get() == null) {
            return;
        }
        Resources.deleteAsRequested(resource, "DeleteSnapshot");
        if (!nodes.known(snapshot.id().node())) {
            // No agent will ever answer for a node that is gone, and its disks are gone with it.
            ClusterVolumes.dropFinalizer(resource);
        }
        Waiting.until(wait, () -> resource.get() == null ? Optional.of(true) : Optional.empty(),
                () -> "snapshot " + snapshot.id() + " is still being deleted on node " + snapshot.id().node());
    }

    private Resource<OrdinalSnapshot> resource(SnapshotRecord snapshot) {
        return client.resources(OrdinalSnapshot.class).withName(Resources.resourceName("snap", snapshot.csiName()));
    }
}
