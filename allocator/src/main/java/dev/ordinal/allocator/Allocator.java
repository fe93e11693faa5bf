package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Allocation;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Disk;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.Node;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.allocator.model.PlacementRequest;
import dev.ordinal.allocator.model.SpreadRule;
import dev.ordinal.allocator.model.Topology;
import dev.ordinal.allocator.model.VolumeKey;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Places ordinal volumes on (node, disk) pairs. Thread-safe: every operation runs under one lock.
 * A decision takes about a microsecond, so a single lock costs CreateVolume callers nothing
 * noticeable and makes "never over-commit a disk" trivially true: the check and the reservation
 * happen in the same critical section.
 *
 * <p>Sticky locations: a request's sticky (node, disk) is binding. If it is usable (node and disk
 * exist, disk offers the layout, node matches the requisite topology, hard spread holds, and the
 * disk has room) the volume goes there even if the policy would choose otherwise, and even if the
 * node is cordoned — cordon stops new workloads, but a retained volume is the ordinal's existing
 * data coming home. If it is not usable the request is refused with reason STICKY and the numbers;
 * it is never silently placed elsewhere, which would strand the retained data.
 */
public final class Allocator {
    private final ReentrantLock lock = new ReentrantLock();
    private final ClusterState state;
    private final Planner planner;

    public Allocator() {
        this(AllocatorConfig.defaults());
    }

    public Allocator(AllocatorConfig config) {
        this.state = new ClusterState(Objects.requireNonNull(config, "config"));
        this.planner = new Planner(state);
    }

    public AllocatorConfig config() {
        return state.config;
    }

    // ------------------------------------------------------------------ nodes and disks

    /** Adds a node without disks. @throws IllegalStateException if a node with that name exists */
    public void addNode(Node node) {
        lock.lock();
        try {
            if (state.nodes.containsKey(node.name().value())) {
                throw new IllegalStateException("node " + node.name() + " already exists");
            }
            state.addNode(new NodeState(node.name(), node.labels(), state.config.zoneKey(), node.schedulable()));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes a node and its disks. Volumes on it are dropped from the model (the node is gone;
     * keeping them would count phantom space) and pending reservations on it can no longer commit.
     *
     * @return the committed allocations that were dropped, so the caller can report them
     */
    public List<Allocation> removeNode(NodeName name) {
        lock.lock();
        try {
            NodeState n = node(name);
            List<Allocation> dropped = new ArrayList<>();
            for (DiskState d : n.disks) {
                dropDisk(d, dropped);
            }
            state.removeNodeEntry(n);
            return dropped;
        } finally {
            lock.unlock();
        }
    }

    /** Stops new placements on the node (sticky requests excepted); existing volumes stay. */
    public void cordon(NodeName name) {
        setSchedulable(name, false);
    }

    public void uncordon(NodeName name) {
        setSchedulable(name, true);
    }

    private void setSchedulable(NodeName name, boolean schedulable) {
        lock.lock();
        try {
            state.setSchedulable(node(name), schedulable);
        } finally {
            lock.unlock();
        }
    }

    public void addDisk(NodeName nodeName, Disk disk) {
        lock.lock();
        try {
            NodeState n = node(nodeName);
            if (n.disk(disk.name().value()) != null) {
                throw new IllegalStateException("disk " + nodeName + "/" + disk.name() + " already exists");
            }
            DiskState d = new DiskState(n, disk.name(), disk.layouts(), disk.capacity().bytes(), disk.reserved().bytes());
            n.addDisk(d);
            state.index(d);
        } finally {
            lock.unlock();
        }
    }

    /** Removes a disk; like {@link #removeNode}, its volumes are dropped and returned. */
    public List<Allocation> removeDisk(Placement disk) {
        lock.lock();
        try {
            DiskState d = disk(disk);
            List<Allocation> dropped = new ArrayList<>();
            dropDisk(d, dropped);
            d.node.removeDisk(d);
            return dropped;
        } finally {
            lock.unlock();
        }
    }

    private void dropDisk(DiskState d, List<Allocation> dropped) {
        for (Hold h = d.firstHold; h != null; ) {
            Hold next = h.nextOnDisk;
            if (h.state == Hold.COMMITTED) {
                dropped.add(h.toAllocation());
            }
            state.detach(h);
            h.state = Hold.RELEASED;
            h = next;
        }
        state.unindex(d);
    }

    /**
     * Sets a disk's size and the bytes withheld from allocation. Shrinking below what is allocated
     * is accepted (the disk reports what it has); the disk then has negative free space and takes no
     * new volumes until space is freed.
     */
    public void setDiskCapacity(Placement disk, Capacity capacity, Capacity reserved) {
        lock.lock();
        try {
            state.setCapacity(disk(disk), capacity.bytes(), reserved.bytes());
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ allocations

    /**
     * Records an existing volume (e.g. rebuilt from PersistentVolumes at startup). Existing volumes
     * are facts: they are recorded even if they over-commit the disk. Re-adding the identical
     * allocation is a no-op.
     *
     * @throws IllegalStateException    if the key is allocated differently or has a pending reservation
     * @throws IllegalArgumentException if the node or disk is unknown or the disk lacks the layout
     */
    public void addAllocation(Allocation allocation) {
        lock.lock();
        try {
            byte[] id = Hold.encode(allocation.volume());
            Hold existing = state.holds.get(id);
            if (existing != null) {
                if (existing.state == Hold.COMMITTED && existing.toAllocation().equals(allocation)) {
                    return;
                }
                throw new IllegalStateException("volume " + allocation.volume() + " is already "
                        + (existing.state == Hold.PENDING ? "reserved" : "allocated") + " as " + existing.toAllocation());
            }
            DiskState d = disk(allocation.placement());
            if (!d.offers(allocation.layout())) {
                throw new IllegalArgumentException("disk " + d.placement + " offers " + d.layouts() + ", not " + allocation.layout());
            }
            GroupState g = allocation.group() == null ? null : state.groupFor(allocation.group());
            Hold h = new Hold(id, d, allocation.bytes().bytes(), g, allocation.ordinal(), allocation.layout(), Hold.COMMITTED);
            state.attach(h);
        } finally {
            lock.unlock();
        }
    }

    /** Removes an allocation (or a pending reservation, which can then no longer commit). */
    public Optional<Allocation> removeAllocation(VolumeKey volume) {
        lock.lock();
        try {
            Hold h = state.holds.get(Hold.encode(volume));
            if (h == null) {
                return Optional.empty();
            }
            Allocation a = h.toAllocation();
            state.detach(h);
            h.state = Hold.RELEASED;
            return Optional.of(a);
        } finally {
            lock.unlock();
        }
    }

    /** Grows or shrinks an allocation in place; growing needs the difference free on its disk. */
    public ResizeResult resizeAllocation(VolumeKey volume, Capacity newSize) {
        lock.lock();
        try {
            Hold h = state.holds.get(Hold.encode(volume));
            if (h == null) {
                return new ResizeResult.NotResized("volume " + volume + " is not allocated");
            }
            if (h.state != Hold.COMMITTED) {
                return new ResizeResult.NotResized("volume " + volume + " is still being created (reservation pending)");
            }
            long delta = newSize.bytes() - h.bytes;
            DiskState d = h.disk;
            if (delta > 0 && d.free() < delta) {
                return new ResizeResult.NotResized("disk " + d.placement + " has " + Capacity.format(d.free())
                        + " free; growing " + volume + " from " + Capacity.format(h.bytes) + " to " + newSize
                        + " needs " + Capacity.format(delta) + " more");
            }
            state.addUsed(d, delta);
            h.bytes = newSize.bytes();
            return new ResizeResult.Resized(h.toAllocation());
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ placement

    /**
     * Chooses a disk and reserves the space, or refuses with the numbers. If the volume key is
     * already allocated (a retried CreateVolume) the existing placement is returned as an already
     * committed reservation.
     */
    public Decision place(PlacementRequest request) {
        lock.lock();
        try {
            byte[] id = Hold.encode(request.volume());
            Hold existing = state.holds.get(id);
            if (existing != null) {
                return existing(request, existing);
            }
            GroupState group = request.group() == null ? null : state.groups.get(request.group());
            planner.begin(request, group);
            DiskState chosen;
            if (request.sticky() != null) {
                Object verdict = checkSticky(request);
                if (verdict instanceof Decision.Refused r) {
                    return r;
                }
                chosen = (DiskState) verdict;
            } else {
                chosen = state.indexed ? planner.planIndexed() : planner.planFullScan();
                if (chosen == null) {
                    return planner.explain();
                }
            }
            if (group == null && request.group() != null) {
                group = state.groupFor(request.group());
            }
            Hold h = new Hold(id, chosen, request.size().bytes(), group, request.ordinal(), request.layout(), Hold.PENDING);
            state.attach(h);
            Allocation a = new Allocation(request.volume(), chosen.placement, request.layout(), request.size(),
                    request.group(), request.group() == null ? -1 : request.ordinal());
            return new Decision.Placed(new Reservation(this, h, a));
        } finally {
            lock.unlock();
        }
    }

    private Decision existing(PlacementRequest request, Hold h) {
        Allocation a = h.toAllocation();
        Decision.Counts counts = Decision.Counts.none(request.size());
        if (h.state == Hold.PENDING) {
            return new Decision.Refused(Decision.Reason.IN_FLIGHT, "volume " + request.volume()
                    + " already has a pending reservation of " + a.bytes() + " on " + a.placement()
                    + "; retry once it is committed or released", counts);
        }
        if (a.layout() != request.layout() || a.bytes().bytes() < request.size().bytes()) {
            return new Decision.Refused(Decision.Reason.CONFLICT, "volume " + request.volume() + " already exists as "
                    + a.bytes() + " " + a.layout() + " on " + a.placement() + "; asked " + request.size() + " "
                    + request.layout(), counts);
        }
        return new Decision.Placed(new Reservation(this, h, a));
    }

    /** Returns the sticky DiskState if usable, else a Refused saying why. */
    private Object checkSticky(PlacementRequest request) {
        Placement where = request.sticky();
        String prefix = "sticky location " + where + " of " + request.volume() + " is unusable: ";
        String suffix = "; retained data is not moved elsewhere";
        NodeState n = state.nodes.get(where.node().value());
        if (n == null) {
            return stickyRefusal(request, prefix + "node " + where.node() + " is not known (" + state.nodeList.size()
                    + " nodes are)" + suffix, 0);
        }
        DiskState d = n.disk(where.disk().value());
        if (d == null) {
            return stickyRefusal(request, prefix + "node " + n.nameStr + " has no disk " + where.disk() + " (it has "
                    + Arrays.stream(n.disks).map(x -> x.nameStr).toList() + ")" + suffix, 0);
        }
        long free = d.free();
        if (!d.offers(request.layout())) {
            return stickyRefusal(request, prefix + "disk offers " + d.layouts() + ", not " + request.layout() + suffix, free);
        }
        if (!request.topology().eligible(n.labels)) {
            return stickyRefusal(request, prefix + "node " + n.nameStr + " matches none of the "
                    + request.topology().requisite().size() + " requisite topology segments" + suffix, free);
        }
        if (request.spread().isHard()) {
            int others = planner.spreadCount(n);
            if (others > 0) {
                return stickyRefusal(request, prefix + (request.spread().scope() == SpreadRule.Scope.NODE ? "node " + n.nameStr
                        : "zone " + n.zone) + " holds " + others + " other ordinal volume(s) of " + request.group()
                        + " (" + request.spread() + " spread)" + suffix, free);
            }
        }
        if (free < request.size().bytes()) {
            return stickyRefusal(request, prefix + "disk has " + Capacity.format(free) + " free, " + request.size()
                    + " asked" + suffix, free);
        }
        return d;
    }

    private Decision.Refused stickyRefusal(PlacementRequest request, String message, long free) {
        return new Decision.Refused(Decision.Reason.STICKY, message, new Decision.Counts(state.nodeList.size(),
                0, 0, 0, 0, 0, new Capacity(Math.max(0, free)), request.size()));
    }

    // ------------------------------------------------------------------ reservations

    Reservation.State stateOf(Hold h) {
        lock.lock();
        try {
            return switch (h.state) {
                case Hold.PENDING -> Reservation.State.PENDING;
                case Hold.COMMITTED -> Reservation.State.COMMITTED;
                default -> Reservation.State.RELEASED;
            };
        } finally {
            lock.unlock();
        }
    }

    void commit(Hold h) {
        lock.lock();
        try {
            if (h.state == Hold.PENDING) {
                h.state = Hold.COMMITTED;
                state.committedCount++;
            } else if (h.state == Hold.RELEASED) {
                throw new IllegalStateException("reservation for " + h.key() + " on " + h.disk.placement
                        + " is no longer held (released, removed, or its disk or node was removed)");
            }
        } finally {
            lock.unlock();
        }
    }

    boolean release(Hold h) {
        lock.lock();
        try {
            if (h.state != Hold.PENDING) {
                return false;
            }
            state.detach(h);
            h.state = Hold.RELEASED;
            return true;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ queries

    public Optional<Allocation> allocation(VolumeKey volume) {
        lock.lock();
        try {
            Hold h = state.holds.get(Hold.encode(volume));
            return h == null || h.state != Hold.COMMITTED ? Optional.empty() : Optional.of(h.toAllocation());
        } finally {
            lock.unlock();
        }
    }

    /** All committed allocations, sorted by volume id. O(n): for diagnostics, not the hot path. */
    public List<Allocation> allocations() {
        lock.lock();
        try {
            List<Allocation> out = new ArrayList<>();
            state.holds.forEach(h -> {
                if (h.state == Hold.COMMITTED) {
                    out.add(h.toAllocation());
                }
            });
            out.sort(Comparator.comparing(a -> a.volume().id()));
            return out;
        } finally {
            lock.unlock();
        }
    }

    public int allocationCount() {
        lock.lock();
        try {
            return state.committedCount;
        } finally {
            lock.unlock();
        }
    }

    public int pendingReservationCount() {
        lock.lock();
        try {
            return state.holds.size() - state.committedCount;
        } finally {
            lock.unlock();
        }
    }

    public int nodeCount() {
        lock.lock();
        try {
            return state.nodeList.size();
        } finally {
            lock.unlock();
        }
    }

    public Optional<DiskUsage> diskUsage(Placement disk) {
        lock.lock();
        try {
            NodeState n = state.nodes.get(disk.node().value());
            DiskState d = n == null ? null : n.disk(disk.disk().value());
            if (d == null) {
                return Optional.empty();
            }
            return Optional.of(new DiskUsage(d.placement, d.layouts(), new Capacity(d.capacity), new Capacity(d.reserved),
                    new Capacity(d.used), d.free(), d.holdCount, n.schedulable));
        } finally {
            lock.unlock();
        }
    }

    /**
     * CSI GetCapacity: free bytes over schedulable disks offering the layout on nodes matching the
     * segment (empty segment: the whole cluster), and the largest single-disk free bytes
     * (maximum_volume_size). Pending reservations are already deducted.
     */
    public CapacityReport capacity(Layout layout, Map<String, String> segment) {
        lock.lock();
        try {
            String node = segment.get(Topology.NODE_KEY);
            if (node != null) {
                NodeState n = state.nodes.get(node);
                return n == null ? new CapacityReport(Capacity.ZERO, Capacity.ZERO, 0)
                        : sum(List.of(n.disks), layout, segment);
            }
            if (!state.indexed) {
                List<DiskState> all = new ArrayList<>();
                for (NodeState n : state.nodeList) {
                    all.addAll(List.of(n.disks));
                }
                return sum(all, layout, segment);
            }
            int k = state.narrowestKey(segment, layout);
            if (k == -2) {
                return new CapacityReport(Capacity.ZERO, Capacity.ZERO, 0);
            }
            String value = k < 0 ? null : segment.get(state.config.indexedKeys().get(k));
            // When the index is exactly the segment its running sums answer without visiting disks.
            boolean exact = segment.isEmpty() || (segment.size() == 1 && k >= 0);
            long total = 0;
            long max = 0;
            int count = 0;
            List<DiskState> filtered = new ArrayList<>();
            for (int m : ClusterState.MASKS_WITH[layout.ordinal()]) {
                FreeIndex idx = k < 0 ? state.global[m] : state.labelIndex(m, k, value);
                if (idx == null) {
                    continue;
                }
                if (exact) {
                    total += idx.availableBytes();
                    max = Math.max(max, idx.maxFree());
                    count += idx.size();
                } else {
                    idx.all().forEach(filtered::add);
                }
            }
            return exact ? new CapacityReport(new Capacity(total), new Capacity(max), count) : sum(filtered, layout, segment);
        } finally {
            lock.unlock();
        }
    }

    private static CapacityReport sum(Iterable<DiskState> disks, Layout layout, Map<String, String> segment) {
        long total = 0;
        long max = 0;
        int count = 0;
        for (DiskState d : disks) {
            if (d.node.schedulable && d.offers(layout) && Topology.matches(segment, d.node.labels)) {
                long f = Math.max(0, d.free());
                total += f;
                max = Math.max(max, f);
                count++;
            }
        }
        return new CapacityReport(new Capacity(total), new Capacity(max), count);
    }

    private NodeState node(NodeName name) {
        NodeState n = state.nodes.get(name.value());
        if (n == null) {
            throw new IllegalArgumentException("node " + name + " is not known");
        }
        return n;
    }

    private DiskState disk(Placement where) {
        DiskState d = node(where.node()).disk(where.disk().value());
        if (d == null) {
            throw new IllegalArgumentException("disk " + where + " is not known");
        }
        return d;
    }
}
