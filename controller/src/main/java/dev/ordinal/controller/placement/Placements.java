package dev.ordinal.controller.placement;

import dev.ordinal.allocator.Allocator;
import dev.ordinal.allocator.Decision;
import dev.ordinal.allocator.DiskUsage;
import dev.ordinal.allocator.model.Allocation;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Disk;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.Node;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.allocator.model.OwnerGroup;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.allocator.model.PlacementRequest;
import dev.ordinal.allocator.model.Topology;
import dev.ordinal.allocator.model.TopologyRequirement;
import dev.ordinal.allocator.model.VolumeKey;
import dev.ordinal.controller.model.OrdinalClaim;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Placement for Immediate binding (issue 7): the allocator's decision for each claim, made on a model of the
 * cluster's storage built for this decision from what the node agents report and the volumes that exist. Built
 * afresh each time rather than kept up to date by events: it is only needed when a claim waits for a placement, and
 * a fresh model cannot drift from the cluster.
 *
 * <p>A disk's free space is its capacity less the larger of (a) the volumes known here (PVs, and claims placed but
 * not yet provisioned) and (b) what its agent last counted as taken (which includes snapshots, never seen here), so
 * that neither a report older than the newest volume nor a snapshot makes a disk look emptier than it is.
 */
public final class Placements {

    private Placements() {
    }

    /**
     * Whether ordinal {@code ordinal} of a template may be decided now: not while a lower ordinal in the replica range
     * [start, start + replicas) has no claim yet. Parallel pod management makes the claims in any order, and deciding
     * in that order would give the last free node to whichever came first: under a hard spread the refused ordinal
     * could be 0 rather than the highest, and scaling back down would not free its node. Claims that exist are
     * decided in ordinal order by {@link #plan}; a missing one in range is about to be made by the StatefulSet
     * controller (the caller bounds the wait), and one out of range never holds anything back.
     */
    public static boolean inTurn(int ordinal, int start, int replicas, java.util.Set<Integer> existing) {
        int end = Math.min(ordinal, start + replicas);
        for (int lower = start; lower < end; lower++) {
            if (!existing.contains(lower)) {
                return false;
            }
        }
        return true;
    }

    /** One outcome per request, decided in order of template then ordinal, each seeing the ones before it. */
    public static List<PlacementOutcome> plan(List<StorageNode> nodes, List<ExistingVolume> volumes,
            List<ClaimRequest> requests) {
        Set<OwnerGroup> groups = new java.util.HashSet<>();
        requests.forEach(r -> groups.add(group(r.claim())));
        Allocator allocator = model(nodes, volumes, groups);
        List<ClaimRequest> ordered = requests.stream()
                .sorted(Comparator.comparing((ClaimRequest r) -> r.claim().template()).thenComparingInt(r -> r.claim().ordinal()))
                .toList();
        List<PlacementOutcome> outcomes = new ArrayList<>();
        for (ClaimRequest request : ordered) {
            outcomes.add(decide(allocator, request));
        }
        return outcomes;
    }

    private static PlacementOutcome decide(Allocator allocator, ClaimRequest request) {
        ClassRules rules = request.rules();
        List<Map<String, String>> requisite = rules.requisite();
        Placement sticky = null;
        if (request.sticky().isPresent()) {
            StickyVolume retained = request.sticky().get();
            if (retained.disk().isPresent()) {
                sticky = Placement.of(retained.node(), retained.disk().get());
            } else {
                // Only the node is known: the allocator chooses among that node's disks.
                requisite = pinned(requisite, retained.node());
                if (requisite.isEmpty()) {
                    return new PlacementOutcome.Refused(request, Decision.Reason.STICKY, "retained volume "
                            + retained.volume() + " of " + request.key() + " is on node " + retained.node()
                            + ", outside the class's allowedTopologies; retained data is not moved elsewhere",
                            request.bytes(), 0, Duration.ZERO);
                }
            }
        }
        PlacementRequest.Builder builder = PlacementRequest.builder(VolumeKey.of(request.key()),
                        Capacity.ofBytes(request.bytes()), rules.layout())
                .topology(requisite.isEmpty() ? TopologyRequirement.ANY : TopologyRequirement.requisite(requisite))
                .owner(group(request.claim()), request.claim().ordinal())
                .spread(rules.spread())
                .fit(rules.fit());
        if (sticky != null) {
            builder.sticky(sticky);
        }
        long started = System.nanoTime();
        Decision decision = allocator.place(builder.build());
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        return switch (decision) {
            case Decision.Placed placed -> {
                placed.reservation().commit(); // the next claims of this pass see it: spread and capacity
                yield new PlacementOutcome.Placed(request, placed.placement(), took);
            }
            case Decision.Refused refused -> new PlacementOutcome.Refused(request, refused.reason(), refused.message(),
                    refused.counts().requested().bytes(), refused.counts().largestFree().bytes(), took);
        };
    }

    /** The class's segments narrowed to one node (those that could include it), or that node alone. */
    private static List<Map<String, String>> pinned(List<Map<String, String>> requisite, String node) {
        if (requisite.isEmpty()) {
            return List.of(Map.of(Topology.NODE_KEY, node));
        }
        List<Map<String, String>> out = new ArrayList<>();
        for (Map<String, String> segment : requisite) {
            String named = segment.get(Topology.NODE_KEY);
            if (named == null || named.equals(node)) {
                Map<String, String> narrowed = new LinkedHashMap<>(segment);
                narrowed.put(Topology.NODE_KEY, node);
                out.add(narrowed);
            }
        }
        return out;
    }

    private static OwnerGroup group(OrdinalClaim claim) {
        return OwnerGroup.of(claim.namespace(), claim.statefulSet(), claim.template());
    }

    /**
     * The allocator's model: nodes, their disks (see the class comment for free space), the volumes on them. Only the
     * volumes of the groups being placed are recorded one by one (spread counts them); every other volume only takes
     * space, so those are summed into one allocation per disk: a model of thousands of nodes and tens of thousands of
     * volumes is then built in about the time its disks take.
     */
    static Allocator model(List<StorageNode> nodes, List<ExistingVolume> volumes, Set<OwnerGroup> groups) {
        Allocator allocator = new Allocator();
        Map<String, List<String>> disksByNode = new HashMap<>();
        Map<String, Long> provisioned = new HashMap<>();
        for (ExistingVolume volume : volumes) {
            if (volume.provisioned() && volume.disk().isPresent()) {
                provisioned.merge(volume.node() + "/" + volume.disk().get(), volume.bytes(), Long::sum);
            }
        }
        for (StorageNode node : nodes) {
            try {
                allocator.addNode(new Node(NodeName.of(node.name()), node.topology(), node.schedulable()));
            } catch (IllegalArgumentException | IllegalStateException e) {
                continue; // A report the allocator cannot take (a duplicate, a topology naming another node).
            }
            for (StorageDisk disk : node.disks()) {
                Set<Layout> layouts = layouts(disk.layouts());
                if (layouts.isEmpty() || disk.name() == null || disk.name().isBlank()) {
                    continue;
                }
                long capacity = disk.healthy() ? Math.max(0, disk.capacityBytes()) : 0;
                long taken = Math.max(0, capacity - Math.max(0, disk.allocatableBytes()));
                long unseen = Math.max(0, taken - provisioned.getOrDefault(node.name() + "/" + disk.name(), 0L));
                try {
                    allocator.addDisk(NodeName.of(node.name()), new Disk(DiskName.of(disk.name()), layouts,
                            Capacity.ofBytes(capacity), Capacity.ofBytes(Math.min(unseen, capacity))));
                    disksByNode.computeIfAbsent(node.name(), n -> new ArrayList<>()).add(disk.name());
                } catch (IllegalStateException e) {
                    // The same disk reported twice: the first report counts, as in the driver.
                }
            }
        }
        Map<Placement, Long> others = new HashMap<>();
        Set<String> keys = new java.util.HashSet<>();
        for (ExistingVolume volume : volumes) {
            if (!keys.add(volume.key())) {
                continue; // Counted once.
            }
            Optional<Placement> where = where(allocator, disksByNode, volume);
            if (where.isEmpty()) {
                continue;
            }
            OwnerGroup group = volume.owner().map(Placements::group).orElse(null);
            if (group == null || !groups.contains(group)) {
                others.merge(where.get(), Math.max(0, volume.bytes()), Long::sum);
                continue;
            }
            allocator.addAllocation(new Allocation(VolumeKey.of(volume.key()), where.get(),
                    layoutOn(allocator, where.get(), volume.layout()), Capacity.ofBytes(Math.max(0, volume.bytes())),
                    group, volume.owner().orElseThrow().ordinal()));
        }
        others.forEach((placement, bytes) -> allocator.addAllocation(new Allocation(
                VolumeKey.of("other volumes on " + placement), placement, layoutOn(allocator, placement, "image"),
                Capacity.ofBytes(bytes), null, -1)));
        return allocator;
    }

    /**
     * Where a volume's space is counted: its disk, or (only its node known) that node's emptiest disk. A volume on a
     * node or disk no agent reports is not counted: its space is gone with it.
     */
    private static Optional<Placement> where(Allocator allocator, Map<String, List<String>> disksByNode,
            ExistingVolume volume) {
        if (volume.disk().isPresent()) {
            Placement placement = Placement.of(volume.node(), volume.disk().get());
            return allocator.diskUsage(placement).isPresent() ? Optional.of(placement) : Optional.empty();
        }
        Optional<Placement> best = Optional.empty();
        long bestFree = Long.MIN_VALUE;
        for (String disk : disksByNode.getOrDefault(volume.node(), List.of())) {
            Placement placement = Placement.of(volume.node(), disk);
            Optional<DiskUsage> usage = allocator.diskUsage(placement);
            if (usage.isPresent() && usage.get().freeBytes() > bestFree) {
                bestFree = usage.get().freeBytes();
                best = Optional.of(placement);
            }
        }
        return best;
    }

    /** The volume's layout if its disk offers it; otherwise one the disk offers: here only its bytes matter. */
    private static Layout layoutOn(Allocator allocator, Placement placement, String layout) {
        Set<Layout> offered = allocator.diskUsage(placement).orElseThrow().layouts();
        Optional<Layout> own = layouts(Set.of(layout)).stream().findFirst();
        return own.filter(offered::contains).orElseGet(() -> offered.stream().sorted().findFirst().orElseThrow());
    }

    /** The layouts this allocator knows among the names given; unknown names (a newer agent's) are left out. */
    private static Set<Layout> layouts(Set<String> names) {
        Set<Layout> layouts = EnumSet.noneOf(Layout.class);
        for (String name : names) {
            try {
                layouts.add(Layout.parse(name));
            } catch (IllegalArgumentException e) {
                // Not a layout this controller places.
            }
        }
        return layouts;
    }
}
