package dev.ordinal.driver.volume;

import dev.ordinal.allocator.Allocator;
import dev.ordinal.allocator.model.Allocation;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.OwnerGroup;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.ClaimRef;
import dev.ordinal.driver.model.HeldVolume;
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
    /**
     * Deleted volumes whose data is held for a grace (StorageClass parameter deleteGrace), by volume id. Their
     * allocations stay, under the name they were deleted with, until they are purged or returned.
     */
    final java.util.Map<String, HeldVolume> held = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.locks.ReentrantReadWriteLock space =
            new java.util.concurrent.locks.ReentrantReadWriteLock();

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
        for (HeldVolume volume : volumes.held()) {
            held.put(volume.record().id().toString(), volume);
            count(allocationOf(volume.record()));
        }
        for (SnapshotRecord record : snapshots.recover()) {
            snapshotCatalog.put(record);
            count(allocationOf(record));
        }
        refreshCapacity();
    }

    /**
     * Makes the catalogs, and the allocations in the allocator, what the store holds now: for a controller replica
     * whose model was loaded before another replica placed and deleted (it becomes the leader, or serves an
     * expansion or snapshot without leading). Entries that changed are replaced, ones gone removed, new ones added.
     * The caller makes sure that no call of this replica's is in flight (LeaderGate): a reservation being made
     * would be counted twice.
     */
    public void resync() {
        java.util.Map<String, VolumeRecord> volumesNow = new java.util.HashMap<>();
        volumes.recover().forEach(r -> volumesNow.put(r.csiName(), r));
        java.util.Map<String, SnapshotRecord> snapshotsNow = new java.util.HashMap<>();
        snapshots.recover().forEach(r -> snapshotsNow.put(r.csiName(), r));
        for (VolumeRecord known : volumeCatalog.all()) {
            if (!known.equals(volumesNow.get(known.csiName()))) {
                volumeCatalog.remove(known);
                allocator.removeAllocation(AllocationKeys.volume(known.csiName()));
            }
        }
        for (SnapshotRecord known : snapshotCatalog.all()) {
            if (!known.equals(snapshotsNow.get(known.csiName()))) {
                snapshotCatalog.remove(known);
                allocator.removeAllocation(AllocationKeys.snapshot(known.csiName()));
            }
        }
        for (VolumeRecord now : volumesNow.values()) {
            if (volumeCatalog.byName(now.csiName()).isEmpty()) {
                volumeCatalog.put(now);
                count(allocationOf(now));
            }
        }
        for (SnapshotRecord now : snapshotsNow.values()) {
            if (snapshotCatalog.byName(now.csiName()).isEmpty()) {
                snapshotCatalog.put(now);
                count(allocationOf(now));
            }
        }
        refreshCapacity();
    }

    /**
     * Counts again the space of the volumes and snapshots on {@code node}, when a node (re)joins the allocator's
     * model: its volumes' space must be taken before anything new is placed there.
     */
    public void recount(String node) {
        volumeCatalog.all().stream().filter(r -> r.id().node().equals(node)).map(Inventory::allocationOf)
                .forEach(this::count);
        held.values().stream().map(HeldVolume::record).filter(r -> r.id().node().equals(node))
                .map(Inventory::allocationOf).forEach(this::count);
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

    /**
     * Sets each local disk's capacity in the allocator to what its filesystem can hold for volumes now (see
     * {@link VolumeStore#usableCapacities}): before every placement and GetCapacity, since anything else on the
     * filesystem changes its free space. Image volumes hold all their blocks already (preallocated), so they need
     * nothing more of the free space. Snapshots are counted at their whole size as still to come: an image
     * snapshot may share its volume's extents, and each overwrite of a shared block by the volume takes a new one.
     */
    public void refreshCapacity() {
        // Exclusive against removals: a refresh that read the catalog before a removal and the free space after it
        // would count the removed volume's bytes twice, as held and as free.
        space.writeLock().lock();
        try {
            refreshCapacityLocked();
        } finally {
            space.writeLock().unlock();
        }
    }

    /**
     * Runs a removal (files, allocation, catalog entry) so that a capacity refresh sees it whole or not at all.
     * Creations need no such care: their blocks leave the free space before they enter the catalog, so a refresh
     * in between counts them twice, which errs on the safe side.
     */
    void removing(Runnable removal) {
        space.readLock().lock();
        try {
            removal.run();
        } finally {
            space.readLock().unlock();
        }
    }

    /**
     * Runs a volume's removal as {@link #removing(Runnable)} does when it can be counted twice, that is for an
     * image volume, the only kind whose bytes a refresh counts as held. Any other removal runs without the lock:
     * its blocks are counted in the free space only, so a refresh sees them once whenever it runs, and the
     * creations that refresh never wait for its fsync and recursive deletion.
     */
    void removing(VolumeRecord volume, Runnable removal) {
        if (volume.layout() != Layout.IMAGE) {
            removal.run();
            return;
        }
        removing(removal);
    }

    private void refreshCapacityLocked() {
        // Asked per disk, and only by a store with disks of its own: a cluster's catalog is never walked here.
        volumes.usableCapacities(this::preallocatedOn).forEach((disk, capacity) -> allocator.diskUsage(disk)
                .ifPresent(usage -> allocator.setDiskCapacity(disk, capacity, usage.reserved())));
    }

    /** The bytes the image volumes on {@code disk} hold already: all of their size. */
    private long preallocatedOn(Placement disk) {
        long bytes = 0;
        for (VolumeRecord volume : volumeCatalog.all()) {
            if (volume.layout() == Layout.IMAGE && placementOf(volume.id()).equals(disk)) {
                bytes += volume.capacity().bytes();
            }
        }
        // A held image keeps its blocks, as it did before it was deleted.
        for (HeldVolume volume : held.values()) {
            if (volume.record().layout() == Layout.IMAGE && placementOf(volume.record().id()).equals(disk)) {
                bytes += volume.record().capacity().bytes();
            }
        }
        return bytes;
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

    /** The held volumes, oldest hold first. */
    public java.util.List<HeldVolume> held() {
        return held.values().stream().sorted(java.util.Comparator.comparing(HeldVolume::heldAt)
                .thenComparing(h -> h.record().id())).toList();
    }

    /** The most recently held volume of this StatefulSet ordinal, if one is held. */
    Optional<HeldVolume> heldFor(dev.ordinal.contract.claim.VolumeIdentity identity) {
        return held.values().stream().filter(h -> h.record().identity().equals(Optional.of(identity)))
                .max(java.util.Comparator.comparing(HeldVolume::heldAt));
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
