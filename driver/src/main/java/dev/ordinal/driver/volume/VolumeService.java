package dev.ordinal.driver.volume;

import dev.ordinal.allocator.Decision;
import dev.ordinal.allocator.DiskUsage;
import dev.ordinal.allocator.Reservation;
import dev.ordinal.allocator.ResizeResult;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.allocator.model.PlacementRequest;
import dev.ordinal.driver.backend.CapacityOffer;
import dev.ordinal.driver.backend.CreateVolumeSpec;
import dev.ordinal.driver.backend.ExpansionResult;
import dev.ordinal.driver.backend.Slice;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.CapacityRange;
import dev.ordinal.driver.model.ContentSource;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeCapability;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.contract.Durations;
import dev.ordinal.driver.model.HeldVolume;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The controller side of volumes: CreateVolume asks the allocator where the volume goes and the local backend to
 * make it there (empty, or from a snapshot or another volume); DeleteVolume, ControllerExpandVolume, ListVolumes
 * and GetCapacity read and change the same two. It speaks records only; the gRPC edge translates.
 */
public final class VolumeService {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(VolumeService.class);

    static final Set<String> FILESYSTEMS = Set.of("ext4", "xfs");
    static final String DEFAULT_FS = "ext4";

    private final Inventory inventory;
    private final VolumeLocks locks;
    private final Capacity defaultSize;
    private final Clock clock;
    private final ClaimAdmission admission;
    private volatile HeldPurges purges = HeldPurges.NONE;

    /**
     * @param claims what the Kubernetes API says about claims; empty without one (the all-in-one driver), where
     *               volumes get no StatefulSet identity and ordered binding is refused
     */
    public VolumeService(Inventory inventory, VolumeLocks locks, Capacity defaultSize, Clock clock,
            Optional<ClaimDirectory> claims) {
        this.inventory = inventory;
        this.locks = locks;
        this.defaultSize = defaultSize;
        this.clock = clock;
        this.admission = new ClaimAdmission(claims);
    }

    /** Who hears of purges of held data (metrics); set before serving. */
    public void onPurge(HeldPurges listener) {
        this.purges = listener;
    }

    public VolumeRecord create(CreateVolumeSpec spec) {
        VolumeParameters parameters = VolumeParameters.parse(spec.parameters());
        Origin origin = originOf(spec.source());
        VolumeShape shape = shapeOf(spec.capabilities(), parameters.layout(), origin);
        Capacity size = sizeOf(spec.capacity(), parameters.layout(), shape, origin);
        try (VolumeLocks.Held lock = locks.acquire(spec.name(), "CreateVolume")) {
            // A volume that exists is answered as it was made, whatever the claim's annotations say now: they
            // decide only whether and where a new volume is made.
            Optional<VolumeRecord> existing = inventory.volumeCatalog.byName(spec.name());
            if (existing.isPresent()) {
                return sameVolumeOrConflict(existing.get(), spec, parameters, shape);
            }
            requireSomeDiskLargeEnough(parameters.layout(), size);
            requireGraceCanBeKept(parameters);
            inventory.refreshCapacity();
            ClaimAdmission.Admitted admitted = admission.admit(parameters);
            Optional<HeldVolume> held = admitted.identity().filter(i -> origin instanceof Origin.Nothing)
                    .flatMap(inventory::heldFor);
            if (held.isPresent()) {
                if (returnable(held.get().record(), parameters, shape)) {
                    return bringBack(held.get(), spec, parameters, size, admitted);
                }
                LOG.infof("CreateVolume name=%s claim=%s: the held volume %s of %s is %s %s, not %s %s as asked: a new "
                        + "volume is made, the held one waits for its purge at %s", spec.name(), parameters.claim(),
                        held.get().record().id(), admitted.identity().get(), held.get().record().layout(),
                        held.get().record().block() ? "block" : held.get().record().fsType(), parameters.layout(),
                        shape.block() ? "block" : shape.fsType(), held.get().purgeAt());
            }
            // The source must not be deleted (or grown) while it is copied.
            try (VolumeLocks.Held sourceLock = origin.lockKey().isEmpty() ? () -> { }
                    : locks.acquire(origin.lockKey(), "CreateVolume " + spec.name() + " from it")) {
                Reservation reservation = reserve(spec, parameters, size, origin, admitted);
                Placement placement = reservation.placement();
                try {
                    VolumeId id = new VolumeId(placement.node().value(), placement.disk().value(),
                            DirectoryName.of(spec.name(), parameters.claim(), placement.node().value(),
                                    placement.disk().value()));
                    VolumeRecord wanted = new VolumeRecord(id, spec.name(), parameters.layout(), size, shape.block(),
                            shape.fsType(), parameters.defining(), parameters.claim(), spec.source(),
                            clock.instant(), admitted.identity());
                    VolumeRecord record = switch (origin) {
                        case Origin.Nothing nothing -> inventory.volumes.create(wanted);
                        case Origin.Snapshot snapshot -> inventory.volumes.createFrom(wanted, snapshot.record());
                        case Origin.Volume volume -> inventory.volumes.createFrom(wanted, volume.record());
                    };
                    reservation.commit();
                    inventory.volumeCatalog.put(record);
                    return record;
                } catch (RuntimeException e) {
                    reservation.release();
                    throw e;
                }
            }
        }
    }

    /**
     * Deletes a volume by id. An id this driver never made is already deleted (OK, as the spec says); an id of
     * ours that names another node or an unknown disk is refused rather than forgotten, so no data is leaked.
     */
    public void delete(String rawId) {
        Optional<VolumeId> parsed = VolumeId.parse(rawId);
        if (parsed.isEmpty()) {
            return;
        }
        VolumeId id = parsed.get();
        inventory.volumes.requireServes(id);
        try (VolumeLocks.Held lock = locks.acquire(id.toString(), "DeleteVolume")) {
            Optional<VolumeRecord> record = inventory.volumeCatalog.byId(id.toString())
                    .or(() -> inventory.volumes.read(id));
            if (record.isEmpty()) {
                return;
            }
            Optional<Duration> grace = graceOf(record.get());
            if (grace.isPresent() && record.get().identity().isPresent() && inventory.volumes.holdsDeleted()) {
                // The data waits for its ordinal: moved aside on its disk, still counted there, purged later.
                Instant now = clock.instant();
                HeldVolume held = inventory.volumes.hold(record.get(), now, now.plus(grace.get()));
                // One step for a capacity refresh: a held image is counted as holding its blocks, once.
                inventory.removing(() -> {
                    inventory.volumeCatalog.remove(record.get());
                    inventory.held.put(id.toString(), held);
                });
                LOG.infof("DeleteVolume volume=%s of %s: data held on node %s disk %s until %s (%s %s)", id,
                        record.get().identity().get(), id.node(), id.disk(), held.purgeAt(),
                        VolumeParameters.DELETE_GRACE, Durations.format(grace.get()));
                return;
            }
            if (grace.isPresent() && record.get().identity().isPresent()) {
                LOG.warnf("DeleteVolume volume=%s of %s: %s=%s asks for a grace, which this driver's store cannot "
                        + "hold (cluster mode holds no deleted volumes yet): deleted at once", id,
                        record.get().identity().get(), VolumeParameters.DELETE_GRACE, Durations.format(grace.get()));
            }
            inventory.removing(record.get(), () -> {
                inventory.volumes.delete(record.get());
                inventory.allocator.removeAllocation(AllocationKeys.volume(record.get().csiName()));
                inventory.volumeCatalog.remove(record.get());
            });
        }
    }

    /**
     * A class that asks for a grace must get one: where the driver could never hold the volume (cluster mode, whose
     * node agents hold no deleted volumes yet; or no Kubernetes API, so no volume has a StatefulSet identity), the
     * volume is refused rather than made with a promise DeleteVolume would break.
     */
    private void requireGraceCanBeKept(VolumeParameters parameters) {
        if (parameters.deleteGrace().isEmpty()) {
            return;
        }
        if (!inventory.volumes.holdsDeleted()) {
            throw new DriverError.FailedPrecondition("StorageClass parameter " + VolumeParameters.DELETE_GRACE + "="
                    + Durations.format(parameters.deleteGrace().get()) + " cannot be kept: in cluster mode the node "
                    + "agents hold no deleted volumes yet, so DeleteVolume would delete the data at once; remove the "
                    + "parameter from the StorageClass");
        }
        if (!admission.readsClaims()) {
            throw new DriverError.FailedPrecondition("StorageClass parameter " + VolumeParameters.DELETE_GRACE + "="
                    + Durations.format(parameters.deleteGrace().get()) + " holds the data of a StatefulSet's deleted "
                    + "volume for its ordinal, which needs the Kubernetes API to read the claim's StatefulSet; this "
                    + "driver runs without it");
        }
    }

    /** The grace a volume's class asked for, as recorded with it when it was made; empty for none. */
    private static Optional<Duration> graceOf(VolumeRecord record) {
        String value = record.parameters().get(VolumeParameters.DELETE_GRACE);
        if (value == null) {
            return Optional.empty();
        }
        try {
            return VolumeParameters.deleteGrace(value);
        } catch (DriverError.InvalidArgument e) {
            // Checked when the volume was made; a record edited by hand since then is deleted as before.
            LOG.warnf("volume %s records %s='%s', which is not a duration: deleted without a grace", record.id(),
                    VolumeParameters.DELETE_GRACE, value);
            return Optional.empty();
        }
    }

    /** Whether a held volume can serve as the volume asked for: the same layout and access. */
    private static boolean returnable(VolumeRecord held, VolumeParameters parameters, VolumeShape shape) {
        return held.layout() == parameters.layout() && held.block() == shape.block()
                && held.fsType().equals(shape.fsType());
    }

    /**
     * A returning ordinal gets its held volume back: same id (so same node and disk), same data, under the new
     * name and claim, at least the size asked (grown when more is asked). The volume's node answers as its only
     * accessible topology, so the PersistentVolume pins the pod there. With WaitForFirstConsumer the scheduler has
     * chosen a node before the driver is asked: if it is another one, the data cannot follow, so the call is
     * refused with RESOURCE_EXHAUSTED naming the node that holds it. external-provisioner answers that code under
     * delayed binding by dropping the claim's selected-node annotation so the scheduler chooses again (ABORTED
     * would retry on the same node for ever).
     */
    private VolumeRecord bringBack(HeldVolume held, CreateVolumeSpec spec, VolumeParameters parameters, Capacity size,
            ClaimAdmission.Admitted admitted) {
        VolumeRecord old = held.record();
        String who = "claim " + parameters.claim() + " is " + admitted.identity().get();
        if (!reachable(spec.topology(), old)) {
            throw new DriverError.ResourceExhausted(who + ", whose data is held on node " + old.id().node() + " (disk "
                    + old.id().disk() + ", volume deleted at " + held.heldAt() + ", purged at " + held.purgeAt()
                    + "); the requested topology " + spec.topology().requisite() + " excludes that node: the pod "
                    + "must run on node " + old.id().node() + " to get its data back");
        }
        Capacity wanted = size.bytes() > old.capacity().bytes() ? size : old.capacity();
        if (!spec.capacity().admits(wanted.bytes())) {
            throw new DriverError.OutOfRange(who + ", whose held volume " + old.id() + " has " + old.capacity()
                    + "; it cannot come back within the requested " + spec.capacity());
        }
        String heldId = old.id().toString();
        try (VolumeLocks.Held lock = locks.acquire(heldId, "CreateVolume " + spec.name() + " returning it")) {
            if (!inventory.held.containsKey(heldId)) {
                throw new DriverError.Aborted(who + "; its held volume " + heldId + " was purged meanwhile: retry");
            }
            inventory.refreshCapacity();
            if (wanted.bytes() > old.capacity().bytes() && inventory.allocator.resizeAllocation(
                    AllocationKeys.volume(old.csiName()), wanted) instanceof ResizeResult.NotResized refused) {
                throw new DriverError.ResourceExhausted(who + ", whose held volume " + old.id() + " cannot grow from "
                        + old.capacity() + " to " + wanted + " on its disk: " + refused.reason());
            }
            VolumeRecord back = new VolumeRecord(old.id(), spec.name(), old.layout(), wanted, old.block(),
                    old.fsType(), parameters.defining(), parameters.claim(), spec.source(), clock.instant(),
                    admitted.identity());
            VolumeRecord record;
            try {
                record = inventory.volumes.restore(held, back);
            } catch (RuntimeException e) {
                inventory.allocator.resizeAllocation(AllocationKeys.volume(old.csiName()), old.capacity());
                throw e;
            }
            // The held allocation becomes the returned volume's, under its new name, on the same disk.
            inventory.allocator.removeAllocation(AllocationKeys.volume(old.csiName()));
            inventory.allocator.addAllocation(Inventory.allocationOf(record));
            inventory.removing(() -> {
                inventory.held.remove(heldId);
                inventory.volumeCatalog.put(record);
            });
            LOG.infof("CreateVolume name=%s: %s gets its held volume %s back (%s, held since %s)", spec.name(),
                    admitted.identity().get(), record.id(), record.capacity(), held.heldAt());
            return record;
        }
    }

    /** Purges the held volumes whose grace is over; the driver's timer calls this. */
    public void purgeDue() {
        Instant now = clock.instant();
        for (HeldVolume held : inventory.held()) {
            if (held.due(now)) {
                purge(held, HeldPurges.Reason.EXPIRED, "its grace ended at " + held.purgeAt());
            }
        }
    }

    /** The held volumes now, oldest first (metrics, tests). */
    public List<HeldVolume> held() {
        return inventory.held();
    }

    private void purge(HeldVolume held, HeldPurges.Reason reason, String why) {
        String id = held.record().id().toString();
        try (VolumeLocks.Held lock = locks.acquire(id, "purge of held volume")) {
            if (!inventory.held.containsKey(id)) {
                return;
            }
            inventory.removing(held.record(), () -> {
                inventory.volumes.purge(held);
                inventory.allocator.removeAllocation(AllocationKeys.volume(held.record().csiName()));
                inventory.held.remove(id);
            });
        }
        String message = "purged held volume " + id + " of " + held.record().identity().map(Object::toString)
                .orElse("(no ordinal)") + " (" + held.record().capacity() + ", held since " + held.heldAt() + "): "
                + why;
        if (reason == HeldPurges.Reason.ROOM) {
            LOG.warn(message);
        } else {
            LOG.info(message);
        }
        purges.purged(held, reason);
    }

    /**
     * Places a new volume; when no disk has room, purges held volumes on the disks that could take it, oldest hold
     * first, until it fits or none is left. Held data goes early only for the room, and never silently.
     */
    private Decision placeMakingRoom(PlacementRequest request, Layout layout, Optional<Placement> binding,
            String name) {
        Decision decision = inventory.allocator.place(request);
        // Only a shortage of room can be helped: topology, layout and spread refusals stay what they are.
        while (decision instanceof Decision.Refused refused && (refused.reason() == Decision.Reason.CAPACITY
                || refused.reason() == Decision.Reason.STICKY)) {
            Optional<HeldVolume> oldest = inventory.held().stream()
                    .filter(h -> binding.map(b -> b.equals(Inventory.placementOf(h.record().id()))).orElse(true))
                    .filter(h -> inventory.allocator.diskUsage(Inventory.placementOf(h.record().id()))
                            .map(u -> u.layouts().contains(layout)).orElse(false))
                    .findFirst();
            if (oldest.isEmpty()) {
                return decision;
            }
            purge(oldest.get(), HeldPurges.Reason.ROOM, "volume " + name + " needed the room ("
                    + refused.message() + "); purge at " + oldest.get().purgeAt() + " brought forward");
            inventory.refreshCapacity();
            decision = inventory.allocator.place(request);
        }
        return decision;
    }

    /**
     * Grows a volume: the allocator must find the difference free on its disk, then the backend raises the limit.
     * Image volumes also need the node to grow the loop device and filesystem.
     */
    public ExpansionResult expand(String rawId, CapacityRange range) {
        VolumeRecord current = inventory.volume(rawId);
        try (VolumeLocks.Held lock = locks.acquire(current.id().toString(), "ControllerExpandVolume")) {
            current = inventory.volume(rawId);
            boolean nodeGrows = current.layout() == Layout.IMAGE;
            Capacity wanted = VolumeSizing.size(range, current.layout(), current.block(), current.fsType(),
                    current.capacity());
            if (wanted.bytes() < current.capacity().bytes()) {
                throw new DriverError.OutOfRange("volume " + current.id() + " has " + current.capacity()
                        + "; volumes cannot shrink (asked " + range + ")");
            }
            if (wanted.equals(current.capacity())) {
                return new ExpansionResult(current.capacity(), nodeGrows);
            }
            inventory.refreshCapacity();
            if (inventory.allocator.resizeAllocation(AllocationKeys.volume(current.csiName()), wanted)
                    instanceof ResizeResult.NotResized refused) {
                throw new DriverError.ResourceExhausted("cannot grow volume " + current.id() + " from "
                        + current.capacity() + " to " + wanted + ": " + refused.reason());
            }
            try {
                VolumeRecord grown = inventory.volumes.grow(current.withCapacity(wanted));
                inventory.volumeCatalog.put(grown);
                return new ExpansionResult(grown.capacity(), nodeGrows);
            } catch (RuntimeException e) {
                inventory.allocator.resizeAllocation(AllocationKeys.volume(current.csiName()), current.capacity());
                throw e;
            }
        }
    }

    /** The volume behind an id, or NOT_FOUND naming it. */
    public VolumeRecord get(String rawId) {
        return inventory.volume(rawId);
    }

    /** Which of the given capabilities the volume cannot serve, as a sentence; empty when it serves them all. */
    public Optional<String> unsupported(VolumeRecord record, List<VolumeCapability> capabilities) {
        for (VolumeCapability capability : capabilities) {
            if (!capability.mode().singleNode()) {
                return Optional.of("access mode " + capability.mode() + " needs several nodes; local volumes serve "
                        + "one node");
            }
            if (capability.block() != record.block()) {
                return Optional.of("volume " + record.id() + " was made for " + (record.block() ? "block" : "mount")
                        + " access");
            }
            if (!capability.block() && !capability.fsType().isEmpty() && record.layout() == Layout.IMAGE
                    && !capability.fsType().equals(record.fsType())) {
                return Optional.of("volume " + record.id() + " has fsType " + record.fsType() + ", not "
                        + capability.fsType());
            }
        }
        return Optional.empty();
    }

    /** At most {@code limit} volumes with ids after {@code after} (null: from the start), in id order. */
    public Slice<VolumeRecord> list(String after, int limit) {
        List<VolumeRecord> page = inventory.volumeCatalog.after(after, limit);
        boolean more = !page.isEmpty() && page.size() >= limit
                && inventory.volumeCatalog.hasAfter(page.get(page.size() - 1).id().toString());
        return new Slice<>(page, more);
    }

    public CapacityOffer capacity(Map<String, String> parameters, Map<String, String> segment) {
        VolumeParameters parsed = VolumeParameters.parse(parameters);
        inventory.refreshCapacity();
        var report = inventory.allocator.capacity(parsed.layout(), segment);
        return new CapacityOffer(report.available(), Optional.of(report.maximumVolumeSize()),
                Optional.of(Capacity.ofBytes(VolumeSizing.minimum(parsed.layout(), false, DEFAULT_FS))));
    }

    public int volumeCount() {
        return inventory.volumeCount();
    }

    /** What a new volume is made from, found and checked before anything is reserved. */
    private sealed interface Origin {
        /** The id to lock while copying, so the source is not deleted under the copy; empty for nothing. */
        String lockKey();

        record Nothing() implements Origin {
            @Override
            public String lockKey() {
                return "";
            }
        }

        record Snapshot(SnapshotRecord record) implements Origin {
            @Override
            public String lockKey() {
                return record.id().toString();
            }
        }

        record Volume(VolumeRecord record) implements Origin {
            @Override
            public String lockKey() {
                return record.id().toString();
            }
        }
    }

    private Origin originOf(ContentSource source) {
        return switch (source) {
            case ContentSource.Empty empty -> new Origin.Nothing();
            case ContentSource.FromSnapshot snapshot -> new Origin.Snapshot(inventory.snapshot(snapshot.snapshotId()));
            case ContentSource.FromVolume volume -> new Origin.Volume(inventory.volume(volume.volumeId()));
        };
    }

    /** The size a new volume gets: at least what its source held, since a restore can grow but never shrink. */
    private Capacity sizeOf(CapacityRange range, Layout layout, VolumeShape shape, Origin origin) {
        Capacity sourceSize = switch (origin) {
            case Origin.Nothing nothing -> Capacity.ZERO;
            case Origin.Snapshot snapshot -> snapshot.record().size();
            case Origin.Volume volume -> volume.record().capacity();
        };
        Capacity fallback = sourceSize.bytes() > defaultSize.bytes() ? sourceSize : defaultSize;
        Capacity size = VolumeSizing.size(range, layout, shape.block(), shape.fsType(), fallback);
        if (size.bytes() < sourceSize.bytes()) {
            throw new DriverError.OutOfRange("the source holds " + sourceSize + "; a volume made from it cannot be "
                    + "smaller (asked " + range + ")");
        }
        return size;
    }

    private Reservation reserve(CreateVolumeSpec spec, VolumeParameters parameters, Capacity size, Origin origin,
            ClaimAdmission.Admitted admitted) {
        PlacementRequest.Builder request = PlacementRequest.builder(AllocationKeys.volume(spec.name()), size,
                        parameters.layout())
                .topology(spec.topology())
                .spread(parameters.spread())
                .fit(parameters.fit());
        Inventory.ownerOf(parameters.claim())
                .ifPresent(owner -> request.owner(owner, parameters.claim().ordinal().orElse(0)));
        // A copy is made on its source's disk (a snapshot lives there too): that placement is binding.
        switch (origin) {
            case Origin.Snapshot snapshot -> request.sticky(Placement.of(snapshot.record().id().node(),
                    snapshot.record().id().disk()));
            case Origin.Volume volume -> request.sticky(Inventory.placementOf(volume.record().id()));
            case Origin.Nothing nothing -> { }
        }
        Optional<Placement> chosen = admitted.placement();
        if (chosen.isPresent()) {
            requireUsable(chosen.get(), spec, parameters, size, origin, admitted);
            // The companion controller's allocator decided (Immediate binding): binding, as a copy's source is.
            request.sticky(chosen.get());
        }
        Optional<Placement> binding = chosen.or(() -> switch (origin) {
            case Origin.Snapshot snapshot -> Optional.of(Placement.of(snapshot.record().id().node(),
                    snapshot.record().id().disk()));
            case Origin.Volume volume -> Optional.of(Inventory.placementOf(volume.record().id()));
            case Origin.Nothing nothing -> Optional.empty();
        });
        Decision decision = placeMakingRoom(request.build(), parameters.layout(), binding, spec.name());
        return switch (decision) {
            case Decision.Placed placed -> placed.reservation();
            case Decision.Refused refused when chosen.isPresent() && refused.reason() == Decision.Reason.STICKY ->
                    throw placementRefused(chosen.get(), size, admitted, refused);
            case Decision.Refused refused -> throw switch (refused.reason()) {
                case IN_FLIGHT -> new DriverError.Aborted("volume " + spec.name() + ": " + refused.message());
                case CONFLICT -> new DriverError.AlreadyExists("volume " + spec.name() + ": " + refused.message());
                default -> new DriverError.ResourceExhausted("no room for volume " + spec.name() + " ("
                        + Capacity.format(size.bytes()) + " " + parameters.layout() + ")"
                        + (origin instanceof Origin.Nothing ? "" : " on the disk of its source, where a copy is made")
                        + ": " + refused.message());
            };
        };
    }

    /**
     * The controller's placement must name a disk the driver knows, offering the layout, and agree with where a
     * copy must be made; anything else is a wrong annotation, not a shortage (INVALID_ARGUMENT).
     */
    private void requireUsable(Placement placement, CreateVolumeSpec spec, VolumeParameters parameters,
            Capacity size, Origin origin, ClaimAdmission.Admitted admitted) {
        String where = admitted.placedBy();
        Optional<Placement> source = switch (origin) {
            case Origin.Nothing nothing -> Optional.empty();
            case Origin.Snapshot snapshot -> Optional.of(Placement.of(snapshot.record().id().node(),
                    snapshot.record().id().disk()));
            case Origin.Volume volume -> Optional.of(Inventory.placementOf(volume.record().id()));
        };
        if (source.isPresent() && !source.get().equals(placement)) {
            throw new DriverError.InvalidArgument(where + ", but volume " + spec.name() + " is a copy of "
                    + spec.source().describe() + ", which can be made only on its source's disk " + source.get());
        }
        Optional<DiskUsage> usage = inventory.allocator.diskUsage(placement);
        if (usage.isEmpty()) {
            throw new DriverError.InvalidArgument(where + ", but node " + placement.node() + " reports no disk "
                    + placement.disk() + " (asked " + size + ")");
        }
        if (!usage.get().layouts().contains(parameters.layout())) {
            throw new DriverError.InvalidArgument(where + ", but disk " + placement + " offers " + usage.get().layouts()
                    + ", not layout " + parameters.layout());
        }
    }

    /** The controller's placement has no room (or breaks a hard rule): said with the disk's numbers. */
    private static DriverError placementRefused(Placement placement, Capacity size, ClaimAdmission.Admitted admitted,
            Decision.Refused refused) {
        long free = refused.counts().largestFree().bytes();
        String where = admitted.placedBy();
        if (free < size.bytes()) {
            return new DriverError.ResourceExhausted(where + ": node " + placement.node() + " disk " + placement.disk()
                    + " has " + Capacity.format(free) + " free, " + size + " asked");
        }
        return new DriverError.ResourceExhausted(where + ": " + refused.message());
    }

    /** A size no configured disk could ever hold is out of range, not a temporary shortage. */
    private void requireSomeDiskLargeEnough(Layout layout, Capacity size) {
        Optional<Capacity> largest = inventory.volumes.largestDisk(layout);
        if (largest.isPresent() && size.bytes() > largest.get().bytes()) {
            throw new DriverError.OutOfRange("capacity " + size + " is larger than any disk offering layout " + layout
                    + " (largest: " + largest.get() + ")");
        }
    }

    private VolumeRecord sameVolumeOrConflict(VolumeRecord existing, CreateVolumeSpec spec,
            VolumeParameters parameters, VolumeShape shape) {
        if (!spec.capacity().admits(existing.capacity().bytes())) {
            throw new DriverError.AlreadyExists("volume " + spec.name() + " exists with " + existing.capacity()
                    + ", outside the requested " + spec.capacity());
        }
        if (!existing.parameters().equals(parameters.defining())) {
            throw new DriverError.AlreadyExists("volume " + spec.name() + " exists with parameters "
                    + existing.parameters() + ", not " + parameters.defining());
        }
        if (existing.block() != shape.block() || !existing.fsType().equals(shape.fsType())) {
            throw new DriverError.AlreadyExists("volume " + spec.name() + " exists for "
                    + (existing.block() ? "block" : existing.fsType() + " mount") + " access, not "
                    + (shape.block() ? "block" : shape.fsType() + " mount"));
        }
        if (!reachable(spec.topology(), existing)) {
            throw new DriverError.AlreadyExists("volume " + spec.name() + " exists on node " + existing.id().node()
                    + ", which the requisite topology " + spec.topology().requisite() + " excludes");
        }
        if (!existing.source().equals(spec.source())) {
            throw new DriverError.AlreadyExists("volume " + spec.name() + " exists "
                    + (existing.source().describe().isEmpty() ? "empty" : "from " + existing.source().describe())
                    + ", not " + (spec.source().describe().isEmpty() ? "empty" : "from " + spec.source().describe()));
        }
        return existing;
    }

    /**
     * Whether the existing volume's node satisfies the request's requisite topology. A volume is accessible from
     * its node only ({@code topology.ordinal.csi.dev/node}); a requisite that names nodes and not this one excludes
     * it. Segments by other keys (zones...) are not judged here: the node's other labels are not known to it.
     */
    private static boolean reachable(dev.ordinal.allocator.model.TopologyRequirement topology,
            VolumeRecord existing) {
        List<java.util.Map<String, String>> requisite = topology.requisite();
        if (requisite.isEmpty() || !requisite.stream().allMatch(s -> s.containsKey(
                dev.ordinal.allocator.model.Topology.NODE_KEY))) {
            return true;
        }
        return requisite.stream().anyMatch(s -> s.get(dev.ordinal.allocator.model.Topology.NODE_KEY)
                .equals(existing.id().node()));
    }

    /** Block or mount, and which filesystem an image gets; every capability of one request must agree. */
    private record VolumeShape(boolean block, String fsType) {
    }

    private static VolumeShape shapeOf(List<VolumeCapability> capabilities, Layout layout, Origin origin) {
        boolean block = capabilities.get(0).block();
        String fsType = "";
        for (VolumeCapability capability : capabilities) {
            if (!capability.mode().singleNode()) {
                throw new DriverError.InvalidArgument("access mode " + capability.mode()
                        + " is not supported: a local volume is reachable from one node only");
            }
            if (capability.block() != block) {
                throw new DriverError.InvalidArgument("volume_capabilities mix block and mount access");
            }
            if (!capability.fsType().isEmpty()) {
                if (!fsType.isEmpty() && !fsType.equals(capability.fsType())) {
                    throw new DriverError.InvalidArgument("volume_capabilities ask for two filesystems: " + fsType
                            + " and " + capability.fsType());
                }
                fsType = capability.fsType();
            }
        }
        if (block && layout != Layout.IMAGE) {
            throw new DriverError.InvalidArgument("block access needs layout image; layout " + layout
                    + " is a directory");
        }
        VolumeShape shape;
        if (layout != Layout.IMAGE) {
            // A directory volume has the filesystem of its disk; the requested type cannot change it.
            shape = new VolumeShape(false, "");
        } else if (block) {
            shape = new VolumeShape(true, "");
        } else {
            String sourceFs = sourceShape(origin).map(VolumeShape::fsType).orElse("");
            String chosen = !fsType.isEmpty() ? fsType : !sourceFs.isEmpty() ? sourceFs : DEFAULT_FS;
            if (!FILESYSTEMS.contains(chosen)) {
                throw new DriverError.InvalidArgument("fsType " + chosen + " is not supported; use one of "
                        + FILESYSTEMS);
            }
            shape = new VolumeShape(false, chosen);
        }
        requireSameShape(origin, layout, shape);
        return shape;
    }

    private static Optional<VolumeShape> sourceShape(Origin origin) {
        return switch (origin) {
            case Origin.Nothing nothing -> Optional.empty();
            case Origin.Snapshot s -> Optional.of(new VolumeShape(s.record().block(), s.record().fsType()));
            case Origin.Volume v -> Optional.of(new VolumeShape(v.record().block(), v.record().fsType()));
        };
    }

    /** A copy keeps its source's layout, access type and filesystem: the bytes are the same bytes. */
    private static void requireSameShape(Origin origin, Layout layout, VolumeShape shape) {
        Layout sourceLayout = switch (origin) {
            case Origin.Nothing nothing -> layout;
            case Origin.Snapshot s -> s.record().layout();
            case Origin.Volume v -> v.record().layout();
        };
        List<String> differences = new ArrayList<>();
        if (sourceLayout != layout) {
            differences.add("layout " + sourceLayout + ", not " + layout);
        }
        sourceShape(origin).ifPresent(source -> {
            if (source.block() != shape.block()) {
                differences.add((source.block() ? "block" : "mount") + " access, not "
                        + (shape.block() ? "block" : "mount"));
            }
            if (!source.fsType().equals(shape.fsType())) {
                differences.add("fsType " + source.fsType() + ", not " + shape.fsType());
            }
        });
        if (!differences.isEmpty()) {
            throw new DriverError.InvalidArgument("the content source has " + String.join(" and ", differences));
        }
    }
}
