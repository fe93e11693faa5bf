package dev.ordinal.driver.leadership;

import dev.ordinal.driver.backend.CapacityOffer;
import dev.ordinal.driver.backend.ControllerBackend;
import dev.ordinal.driver.backend.CreateVolumeSpec;
import dev.ordinal.driver.backend.ExpansionResult;
import dev.ordinal.driver.backend.Slice;
import dev.ordinal.driver.backend.SnapshotSummary;
import dev.ordinal.driver.backend.VolumeSummary;
import dev.ordinal.driver.model.CapacityRange;
import dev.ordinal.driver.model.VolumeCapability;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Which controller replica may act, in front of the backends, when the chart runs two of them:
 * <ul>
 * <li>CreateVolume and DeleteVolume (csi-provisioner's calls, the ones that place and delete) only on the leader,
 * UNAVAILABLE elsewhere. The first call of a new term rebuilds the model from the cluster's records before it is
 * served: the model was loaded when this replica started, and the other replica has placed and deleted since.
 * The stores read the Lease again before each write ({@link ProvisionerLease#requireLeading}).</li>
 * <li>ControllerExpandVolume, CreateSnapshot and DeleteSnapshot on any replica: csi-resizer and csi-snapshotter
 * elect their leaders on Leases of their own, which may be held in the other pod. A replica that does not lead
 * rebuilds its model before each of them, so it decides from what the cluster holds, not from its start.</li>
 * <li>Reads (GetCapacity, ListVolumes, ValidateVolumeCapabilities, ListSnapshots) from the model as it is.</li>
 * </ul>
 * A rebuild waits for this replica's calls in flight and holds back new ones: the model must not change under it.
 */
public final class LeaderGate {

    private static final Logger LOG = Logger.getLogger(LeaderGate.class);

    private final ProvisionerLease lease;
    private final Runnable rebuild;
    private final ReentrantReadWriteLock model = new ReentrantReadWriteLock();
    /** The term the model was rebuilt for while leading; empty while it may be stale. */
    private volatile String servedTerm = "";

    public LeaderGate(ProvisionerLease lease, Runnable rebuild) {
        this.lease = lease;
        this.rebuild = rebuild;
    }

    public ControllerBackend guard(ControllerBackend backend) {
        return new Guarded(backend);
    }

    /** Whether this replica leads now (a fresh read of the Lease when the last one is no longer good). */
    public boolean leading() {
        try {
            return lease.leading(lease.current());
        } catch (RuntimeException e) {
            return false;
        }
    }

    private <T> T asLeader(String what, Supplier<T> call) {
        String term = lease.requireLeading(what);
        if (!term.equals(servedTerm)) {
            rebuildFor(term);
        }
        return inModel(call);
    }

    private <T> T onAnyReplica(Supplier<T> call) {
        String term = leadingTerm();
        if (term.isEmpty() || !term.equals(servedTerm)) {
            rebuildFor(term);
        }
        return inModel(call);
    }

    private String leadingTerm() {
        try {
            ProvisionerLease.Reading reading = lease.current();
            return lease.leading(reading) ? reading.term() : "";
        } catch (RuntimeException e) {
            return "";
        }
    }

    private void rebuildFor(String term) {
        model.writeLock().lock();
        try {
            if (!term.isEmpty() && term.equals(servedTerm)) {
                return;
            }
            long started = System.nanoTime();
            rebuild.run();
            servedTerm = term;
            LOG.infof("pod=%s term=%s model rebuilt from the cluster's records in %d ms", lease.pod(),
                    term.isEmpty() ? "(not leading)" : term, (System.nanoTime() - started) / 1_000_000);
        } finally {
            model.writeLock().unlock();
        }
    }

    private <T> T inModel(Supplier<T> call) {
        model.readLock().lock();
        try {
            return call.get();
        } finally {
            model.readLock().unlock();
        }
    }

    private final class Guarded implements ControllerBackend {

        private final ControllerBackend backend;

        Guarded(ControllerBackend backend) {
            this.backend = backend;
        }

        @Override
        public boolean servesParameters(Map<String, String> parameters) {
            return backend.servesParameters(parameters);
        }

        @Override
        public boolean ownsVolume(String volumeId) {
            return backend.ownsVolume(volumeId);
        }

        @Override
        public boolean ownsSnapshot(String snapshotId) {
            return backend.ownsSnapshot(snapshotId);
        }

        @Override
        public VolumeSummary create(CreateVolumeSpec spec) {
            return asLeader("placing volume " + spec.name(), () -> backend.create(spec));
        }

        @Override
        public void delete(String volumeId) {
            asLeader("deleting volume " + volumeId, () -> {
                backend.delete(volumeId);
                return null;
            });
        }

        @Override
        public Optional<String> unsupported(String volumeId, List<VolumeCapability> capabilities,
                Map<String, String> parameters) {
            return inModel(() -> backend.unsupported(volumeId, capabilities, parameters));
        }

        @Override
        public CapacityOffer capacity(Map<String, String> parameters, List<VolumeCapability> capabilities,
                Map<String, String> segment) {
            return inModel(() -> backend.capacity(parameters, capabilities, segment));
        }

        @Override
        public ExpansionResult expand(String volumeId, CapacityRange range) {
            return onAnyReplica(() -> backend.expand(volumeId, range));
        }

        @Override
        public Slice<VolumeSummary> volumes(String after, int limit) {
            return inModel(() -> backend.volumes(after, limit));
        }

        @Override
        public SnapshotSummary createSnapshot(String name, String sourceVolumeId) {
            return onAnyReplica(() -> backend.createSnapshot(name, sourceVolumeId));
        }

        @Override
        public void deleteSnapshot(String snapshotId) {
            onAnyReplica(() -> {
                backend.deleteSnapshot(snapshotId);
                return null;
            });
        }

        @Override
        public Slice<SnapshotSummary> snapshots(String after, int limit, String snapshotId, String sourceVolumeId) {
            return inModel(() -> backend.snapshots(after, limit, snapshotId, sourceVolumeId));
        }
    }
}
