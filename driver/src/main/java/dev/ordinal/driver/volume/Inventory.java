package dev.ordinal.driver.volume;

import dev.ordinal.allocator.Allocator;
import dev.ordinal.allocator.model.Allocation;
import dev.ordinal.allocator.model.OwnerGroup;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.ClaimRef;
import dev.ordinal.driver.model.SnapshotId;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.store.SnapshotStore;
import dev.ordinal.driver.store.VolumeStore;
import java.util.Optional;

/**
 * What the controller knows exists: the volumes and snapshots of this node's disks, looked up by name or id, and
 * their space in the allocator's model. Built from the disks at start; changed only by the volume and snapshot
 * services after the disks have changed.
 */
public final class Inventory {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(Inventory.class);

    final VolumeStore volumes;
    final SnapshotStore snapshots;
    final Allocator allocator;
    final Catalog<VolumeRecord> volumeCatalog = new Catalog<>(VolumeRecord::csiName, r -> r.id().toString());
    final Catalog<SnapshotRecord> snapshotCatalog = new Catalog<>(SnapshotRecord::csiName, r -> r.id().toString());

    public Inventory(VolumeStore volumes, SnapshotStore snapshots, Allocator allocator) {
        this.volumes = volumes;
        this.snapshots = snapshots;
        this.allocator = allocator;
    }

    /** Loads what exists on the disks into the catalogs and the allocator; called once before serving. */
    public void recover() {
        for (VolumeRecord record : volumes.recover()) {
            volumeCatalog.put(record);
            count(allocationOf(record));
        }
        for (SnapshotRecord record : snapshots.recover()) {
            snapshotCatalog.put(record);
            count(allocationOf(record));
        }
    }

    /**
     * Counts again the space of the volumes and snapshots on {@code node}, when a node (re)joins the allocator's
     * model: its volumes' space must be taken before anything new is placed there.
     */
    public void recount(String node) {
        volumeCatalog.all().stream().filter(r -> r.id().node().equals(node)).map(Inventory::allocationOf)
                .forEach(this::count);
        snapshotCatalog.all().stream().filter(r -> r.id().node().equals(node)).map(Inventory::allocationOf)
                .forEach(this::count);
    }

    private void count(Allocation allocation) {
        if (allocator.allocation(allocation.volume()).isPresent()) {
            return;
        }
        try {
            allocator.addAllocation(allocation);
        } catch (IllegalArgumentException | IllegalStateException e) {
            // A node (or disk) that has not reported yet: its space is counted when it joins (recount).
            LOG.infof("not counting %s yet: %s", allocation.volume(), e.getMessage());
        }
    }

    /** The volume behind an id, or NOT_FOUND naming it. */
    VolumeRecord volume(String rawId) {
        VolumeId id = VolumeId.parse(rawId).orElseThrow(() -> new DriverError.NotFound("volume " + rawId
                + " does not exist: it is not an id this driver made (local:<node>:<disk>:<name>)"));
        return volumeCatalog.byId(id.toString()).or(() -> volumes.read(id))
                .orElseThrow(() -> new DriverError.NotFound("volume " + id + " does not exist"));
    }

    /** The snapshot behind an id, or NOT_FOUND naming it. */
    SnapshotRecord snapshot(String rawId) {
        SnapshotId id = SnapshotId.parse(rawId).orElseThrow(() -> new DriverError.NotFound("snapshot " + rawId
                + " does not exist: it is not an id this driver made (snap:<node>:<disk>:<name>)"));
        return snapshotCatalog.byId(id.toString()).or(() -> snapshots.read(id))
                .orElseThrow(() -> new DriverError.NotFound("snapshot " + id + " does not exist"));
    }

    public int volumeCount() {
        return volumeCatalog.size();
    }

    public int snapshotCount() {
        return snapshotCatalog.size();
    }

    static Allocation allocationOf(VolumeRecord record) {
        Optional<OwnerGroup> owner = ownerOf(record.claim());
        return new Allocation(AllocationKeys.volume(record.csiName()), placementOf(record.id()), record.layout(),
                record.capacity(), owner.orElse(null), owner.isPresent() ? record.claim().ordinal().orElse(-1) : -1);
    }

    /** A snapshot holds as much as its source did: counted in full, so that no disk is ever over-committed. */
    static Allocation allocationOf(SnapshotRecord record) {
        return new Allocation(AllocationKeys.snapshot(record.csiName()),
                Placement.of(record.id().node(), record.id().disk()), record.layout(), record.size(), null, -1);
    }

    static Placement placementOf(VolumeId id) {
        return Placement.of(id.node(), id.disk());
    }

    /**
     * A StatefulSet claim is {@code <template>-<statefulset>-<ordinal>}: the part before the ordinal names the group
     * well enough to keep its ordinals apart, even without knowing where the template name ends.
     */
    static Optional<OwnerGroup> ownerOf(ClaimRef claim) {
        if (!claim.known() || claim.ordinal().isEmpty()) {
            return Optional.empty();
        }
        return claim.groupName().map(group -> OwnerGroup.of(claim.namespace(), group, ""));
    }
}
