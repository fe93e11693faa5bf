package dev.ordinal.driver.volume;

import dev.ordinal.allocator.Allocator;
import dev.ordinal.allocator.Decision;
import dev.ordinal.allocator.Reservation;
import dev.ordinal.allocator.model.Allocation;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.OwnerGroup;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.allocator.model.PlacementRequest;
import dev.ordinal.allocator.model.VolumeKey;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.local.LocalDisk;
import dev.ordinal.driver.local.LocalVolumes;
import dev.ordinal.driver.model.ClaimRef;
import dev.ordinal.driver.model.VolumeCapability;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The controller side of volumes: CreateVolume asks the allocator where the volume goes and the local backend
 * to make it there; DeleteVolume, ListVolumes and GetCapacity read the same two. It speaks records only; the gRPC
 * edge translates.
 */
public final class VolumeService {

    private static final Set<String> FILESYSTEMS = Set.of("ext4", "xfs");
    static final String DEFAULT_FS = "ext4";

    private final LocalVolumes volumes;
    private final Allocator allocator;
    private final VolumeLocks locks;
    private final Capacity defaultSize;
    private final Clock clock;
    private final VolumeCatalog catalog = new VolumeCatalog();

    public VolumeService(LocalVolumes volumes, Allocator allocator, VolumeLocks locks, Capacity defaultSize,
            Clock clock) {
        this.volumes = volumes;
        this.allocator = allocator;
        this.locks = locks;
        this.defaultSize = defaultSize;
        this.clock = clock;
    }

    /** Loads what exists on the disks into the catalog and the allocator; called once before serving. */
    public void recover() {
        for (VolumeRecord record : volumes.recover()) {
            catalog.put(record);
            allocator.addAllocation(allocationOf(record));
        }
    }

    public VolumeRecord create(CreateVolumeSpec spec) {
        VolumeParameters parameters = VolumeParameters.parse(spec.parameters());
        VolumeShape shape = shapeOf(spec.capabilities(), parameters.layout());
        Capacity size = VolumeSizing.size(spec.capacity(), parameters.layout(), shape.block(), shape.fsType(),
                defaultSize);
        try (VolumeLocks.Held lock = locks.acquire(spec.name(), "CreateVolume")) {
            Optional<VolumeRecord> existing = catalog.byName(spec.name());
            if (existing.isPresent()) {
                return sameVolumeOrConflict(existing.get(), spec, parameters, shape);
            }
            requireSomeDiskLargeEnough(parameters.layout(), size);
            Reservation reservation = reserve(spec, parameters, size);
            Placement placement = reservation.placement();
            try {
                VolumeId id = new VolumeId(placement.node().value(), placement.disk().value(),
                        DirectoryName.of(spec.name(), parameters.claim(), placement.node().value(),
                                placement.disk().value()));
                VolumeRecord record = volumes.create(new VolumeRecord(id, spec.name(), parameters.layout(), size,
                        shape.block(), shape.fsType(), parameters.defining(), parameters.claim(), clock.instant()));
                reservation.commit();
                catalog.put(record);
                return record;
            } catch (RuntimeException e) {
                reservation.release();
                throw e;
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
        if (!id.node().equals(volumes.node().value())) {
            throw new DriverError.FailedPrecondition("volume " + id + " lives on node " + id.node()
                    + "; this driver serves node " + volumes.node());
        }
        if (volumes.disk(new dev.ordinal.allocator.model.DiskName(id.disk())).isEmpty()) {
            throw new DriverError.FailedPrecondition("volume " + id + " lives on disk " + id.disk()
                    + ", which is not configured on node " + volumes.node());
        }
        try (VolumeLocks.Held lock = locks.acquire(id.toString(), "DeleteVolume")) {
            Optional<VolumeRecord> record = catalog.byId(id).or(() -> volumes.read(id));
            if (record.isEmpty()) {
                return;
            }
            volumes.delete(record.get());
            allocator.removeAllocation(VolumeKey.of(record.get().csiName()));
            catalog.remove(record.get());
        }
    }

    /** The volume behind an id, or NOT_FOUND naming it. */
    public VolumeRecord get(String rawId) {
        VolumeId id = VolumeId.parse(rawId).orElseThrow(() -> new DriverError.NotFound("volume " + rawId
                + " does not exist: it is not an id this driver made (local:<node>:<disk>:<name>)"));
        return catalog.byId(id).or(() -> volumes.read(id))
                .orElseThrow(() -> new DriverError.NotFound("volume " + id + " does not exist"));
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

    public VolumePage list(int maxEntries, String startingToken) {
        if (maxEntries < 0) {
            throw new DriverError.InvalidArgument("max_entries must not be negative: " + maxEntries);
        }
        String after = null;
        if (!startingToken.isEmpty()) {
            try {
                after = new String(Base64.getUrlDecoder().decode(startingToken), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new DriverError.Aborted("starting_token '" + startingToken + "' is not a token ListVolumes gave");
            }
        }
        int limit = maxEntries == 0 ? Integer.MAX_VALUE : maxEntries;
        List<VolumeRecord> page = catalog.after(after, limit);
        String next = "";
        if (!page.isEmpty() && page.size() == limit) {
            String last = page.get(page.size() - 1).id().toString();
            if (catalog.hasAfter(last)) {
                next = Base64.getUrlEncoder().withoutPadding().encodeToString(last.getBytes(StandardCharsets.UTF_8));
            }
        }
        return new VolumePage(page, next);
    }

    public CapacityOffer capacity(Map<String, String> parameters, Map<String, String> segment) {
        VolumeParameters parsed = VolumeParameters.parse(parameters);
        var report = allocator.capacity(parsed.layout(), segment);
        return new CapacityOffer(report.available(), report.maximumVolumeSize(),
                Capacity.ofBytes(VolumeSizing.minimum(parsed.layout(), false, DEFAULT_FS)));
    }

    public int volumeCount() {
        return catalog.size();
    }

    private Reservation reserve(CreateVolumeSpec spec, VolumeParameters parameters, Capacity size) {
        PlacementRequest.Builder request = PlacementRequest.builder(VolumeKey.of(spec.name()), size,
                        parameters.layout())
                .topology(spec.topology())
                .spread(parameters.spread())
                .fit(parameters.fit());
        ownerOf(parameters.claim()).ifPresent(owner -> request.owner(owner, parameters.claim().ordinal().orElse(0)));
        Decision decision = allocator.place(request.build());
        return switch (decision) {
            case Decision.Placed placed -> placed.reservation();
            case Decision.Refused refused -> throw switch (refused.reason()) {
                case IN_FLIGHT -> new DriverError.Aborted("volume " + spec.name() + ": " + refused.message());
                case CONFLICT -> new DriverError.AlreadyExists("volume " + spec.name() + ": " + refused.message());
                default -> new DriverError.ResourceExhausted("no room for volume " + spec.name() + " ("
                        + Capacity.format(size.bytes()) + " " + parameters.layout() + "): " + refused.message());
            };
        };
    }

    /** A size no configured disk could ever hold is out of range, not a temporary shortage. */
    private void requireSomeDiskLargeEnough(Layout layout, Capacity size) {
        long largest = volumes.disks().stream().filter(d -> d.offers(layout)).mapToLong(d -> d.capacity().bytes())
                .max().orElse(Long.MAX_VALUE);
        if (size.bytes() > largest) {
            throw new DriverError.OutOfRange("capacity " + size + " is larger than any disk offering layout " + layout
                    + " on node " + volumes.node() + " (largest: " + Capacity.format(largest) + ")");
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
        return existing;
    }

    /** Block or mount, and which filesystem an image gets; every capability of one request must agree. */
    private record VolumeShape(boolean block, String fsType) {
    }

    private static VolumeShape shapeOf(List<VolumeCapability> capabilities, Layout layout) {
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
        if (layout != Layout.IMAGE) {
            // A directory volume has the filesystem of its disk; the requested type cannot change it.
            return new VolumeShape(false, "");
        }
        if (block) {
            return new VolumeShape(true, "");
        }
        if (fsType.isEmpty()) {
            fsType = DEFAULT_FS;
        }
        if (!FILESYSTEMS.contains(fsType)) {
            throw new DriverError.InvalidArgument("fsType " + fsType + " is not supported; use one of " + FILESYSTEMS);
        }
        return new VolumeShape(false, fsType);
    }

    private static Optional<OwnerGroup> ownerOf(ClaimRef claim) {
        // A StatefulSet claim is <template>-<statefulset>-<ordinal>: the part before the ordinal names the group
        // well enough to keep its ordinals apart, even without knowing where the template name ends.
        if (!claim.known() || claim.ordinal().isEmpty()) {
            return Optional.empty();
        }
        return claim.groupName().map(group -> OwnerGroup.of(claim.namespace(), group, ""));
    }

    private static Allocation allocationOf(VolumeRecord record) {
        Placement placement = Placement.of(record.id().node(), record.id().disk());
        Optional<OwnerGroup> owner = ownerOf(record.claim());
        return new Allocation(VolumeKey.of(record.csiName()), placement, record.layout(), record.capacity(),
                owner.orElse(null), owner.isPresent() ? record.claim().ordinal().orElse(-1) : -1);
    }

    /** Disks of this node, for the node's own readiness and metrics. */
    public List<LocalDisk> disks() {
        return volumes.disks();
    }
}
