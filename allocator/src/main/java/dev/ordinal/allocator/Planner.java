package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.FitPolicy;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.PlacementRequest;
import dev.ordinal.allocator.model.SpreadRule;
import dev.ordinal.allocator.model.Topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * Chooses a disk for a request. The ranking, applied lexicographically:
 * <ol>
 *   <li>legality: schedulable node, disk offers the layout, free >= size, node matches a requisite
 *       segment, and under a HARD spread rule no other ordinal of the group on the node (zone);</li>
 *   <li>SOFT spread: fewer other ordinals of the group on the node (zone) first;</li>
 *   <li>preferred topology: a node matching an earlier preferred segment first;</li>
 *   <li>fit policy: BINPACK least free bytes first, SPREAD most free bytes first;</li>
 *   <li>node name, then disk name, ascending.</li>
 * </ol>
 * The indexed search walks the (spread class, preferred rank) buckets in order and, inside a
 * bucket, walks a free-space index from the fit policy's best end, stopping at the first legal
 * disk. Spread exclusions are a handful of nodes per StatefulSet, so the walk is short.
 * Not thread-safe; used under the allocator lock (it also reuses scratch state across calls).
 */
final class Planner {
    private static final int ANY = -1;

    private final ClusterState s;
    private final DiskState probe;
    private int epoch;
    private final ArrayList<NodeState> occupied = new ArrayList<>();
    private final HashMap<String, int[]> zoneCounts = new HashMap<>();

    // Per-request state.
    private PlacementRequest req;
    private int layoutBit;
    private long size;
    private boolean binpack;
    private SpreadRule.Scope scope;
    private Segments requisite;
    private Segments preferred;
    private int classCount;
    private Map<String, String> rankSegment;
    private DiskState best;

    Planner(ClusterState s) {
        this.s = s;
        // Empty names sort before every real node/disk with the same free bytes.
        this.probe = new DiskState(NodeState.probe());
    }

    /** Loads the request and stamps the nodes (zones) holding other ordinals of its group. */
    void begin(PlacementRequest request, GroupState group) {
        this.req = request;
        this.layoutBit = 1 << request.layout().ordinal();
        this.size = request.size().bytes();
        this.binpack = request.fit() == FitPolicy.BINPACK;
        this.requisite = request.topology().requisite().isEmpty() ? null : new Segments(request.topology().requisite());
        this.preferred = new Segments(request.topology().preferred());
        this.scope = group == null ? SpreadRule.Scope.NONE : request.spread().scope();
        epoch++;
        occupied.clear();
        zoneCounts.clear();
        if (scope == SpreadRule.Scope.NONE) {
            return;
        }
        for (int i = 0; i < group.size; i++) {
            Hold h = group.members[i];
            if (h.ordinal == request.ordinal()) {
                continue; // the same replica: never keeps itself away from its own data
            }
            NodeState n = h.disk.node;
            if (n.markEpoch != epoch) {
                n.markEpoch = epoch;
                n.markCount = 0;
                occupied.add(n);
            }
            n.markCount++;
            if (scope == SpreadRule.Scope.ZONE) {
                zoneCounts.computeIfAbsent(n.zone, z -> new int[1])[0]++;
            }
        }
        if (occupied.isEmpty()) {
            scope = SpreadRule.Scope.NONE;
        }
    }

    /** Other ordinals of the group on this node (NODE scope) or in its zone (ZONE scope). */
    int spreadCount(NodeState n) {
        return switch (scope) {
            case NONE -> 0;
            case NODE -> n.markEpoch == epoch ? n.markCount : 0;
            case ZONE -> {
                int[] c = zoneCounts.get(n.zone);
                yield c == null ? 0 : c[0];
            }
        };
    }

    private int[] spreadClasses() {
        if (scope == SpreadRule.Scope.NONE) {
            return new int[] {ANY};
        }
        if (req.spread().isHard()) {
            return new int[] {0};
        }
        java.util.TreeSet<Integer> counts = new java.util.TreeSet<>();
        counts.add(0);
        if (scope == SpreadRule.Scope.NODE) {
            for (NodeState n : occupied) {
                counts.add(n.markCount);
            }
        } else {
            for (int[] c : zoneCounts.values()) {
                counts.add(c[0]);
            }
        }
        return counts.stream().mapToInt(Integer::intValue).toArray();
    }

    // ---------------------------------------------------------------- indexed search

    DiskState planIndexed() {
        int ranks = preferred.size();
        for (int c : spreadClasses()) {
            classCount = c;
            for (int r = 0; r <= ranks; r++) {
                rankSegment = r < ranks ? preferred.list.get(r) : null;
                best = null;
                searchBucket();
                if (best != null) {
                    return best;
                }
            }
        }
        return null;
    }

    private void searchBucket() {
        Layout layout = req.layout();
        if (classCount > 0 && scope == SpreadRule.Scope.NODE) {
            // SOFT fallback onto nodes already holding ordinals: they are few, visit them directly.
            for (NodeState n : occupied) {
                if (n.markCount == classCount) {
                    searchDisks(n.disks);
                }
            }
            return;
        }
        if (rankSegment != null) {
            searchSegment(rankSegment, layout);
            return;
        }
        if (requisite != null && requisiteSourcesCost(layout) <= s.globalSize(layout)) {
            for (Map<String, String> seg : requisite.list) {
                searchSegment(seg, layout);
            }
            return;
        }
        if (classCount != ANY && scope == SpreadRule.Scope.ZONE && s.schedulableWithoutZone == 0) {
            // Hard zone spread can rule out most of the cluster; walk only zones in this class.
            for (int m : ClusterState.MASKS_WITH[layout.ordinal()]) {
                for (Map.Entry<String, FreeIndex> e : s.labelIndexes(m, 0).entrySet()) {
                    int[] cnt = zoneCounts.get(e.getKey());
                    if ((cnt == null ? 0 : cnt[0]) == classCount) {
                        searchIndex(e.getValue());
                    }
                }
            }
            return;
        }
        searchGlobal(layout);
    }

    private void searchGlobal(Layout layout) {
        for (int m : ClusterState.MASKS_WITH[layout.ordinal()]) {
            searchIndex(s.global[m]);
        }
    }

    /** Disks a requisite walk would visit at most, to decide between per-segment sources and the global indexes. */
    private long requisiteSourcesCost(Layout layout) {
        long cost = 0;
        for (Map<String, String> seg : requisite.list) {
            String node = seg.get(Topology.NODE_KEY);
            if (node != null) {
                NodeState n = s.nodes.get(node);
                cost += n == null ? 0 : n.disks.length;
                continue;
            }
            int k = s.narrowestKey(seg, layout);
            cost += k == -2 ? 0 : k == -1 ? s.globalSize(layout) : s.labelSize(layout, k, seg.get(s.config.indexedKeys().get(k)));
        }
        return cost;
    }

    private void searchSegment(Map<String, String> seg, Layout layout) {
        String node = seg.get(Topology.NODE_KEY);
        if (node != null) {
            NodeState n = s.nodes.get(node);
            if (n != null && Topology.matches(seg, n.labels)) {
                searchDisks(n.disks);
            }
            return;
        }
        int k = s.narrowestKey(seg, layout);
        if (k == -1) {
            searchGlobal(layout);
        } else if (k >= 0) {
            String v = seg.get(s.config.indexedKeys().get(k));
            for (int m : ClusterState.MASKS_WITH[layout.ordinal()]) {
                FreeIndex idx = s.labelIndex(m, k, v);
                if (idx != null) {
                    searchIndex(idx); // accept() re-checks the segment's other keys
                }
            }
        }
    }

    private void searchDisks(DiskState[] disks) {
        for (DiskState d : disks) {
            if (accept(d)) {
                offer(d);
            }
        }
    }

    private void searchIndex(FreeIndex idx) {
        if (idx.size() == 0) {
            return;
        }
        if (binpack) {
            probe.capacity = size;
            Iterator<DiskState> it = idx.ascendingFrom(probe);
            while (it.hasNext()) {
                DiskState d = it.next();
                if (best != null && FreeIndex.ORDER.compare(d, best) >= 0) {
                    return; // everything further is a worse fit than what another source found
                }
                if (accept(d)) {
                    offer(d);
                    return;
                }
            }
            return;
        }
        Iterator<DiskState> it = idx.descending();
        while (it.hasNext()) {
            DiskState d = it.next();
            long free = d.free();
            if (free < size || (best != null && free < best.free())) {
                return;
            }
            if (accept(d)) {
                // Most free bytes found; the name tie-break is ascending, so restart at the lowest
                // name with exactly these free bytes.
                probe.capacity = free;
                Iterator<DiskState> asc = idx.ascendingFrom(probe);
                while (asc.hasNext()) {
                    DiskState e = asc.next();
                    if (accept(e)) {
                        offer(e);
                        return;
                    }
                }
                return;
            }
        }
    }

    private boolean accept(DiskState d) {
        NodeState n = d.node;
        if (!n.schedulable || (d.layoutMask & layoutBit) == 0 || d.free() < size) {
            return false;
        }
        if (requisite != null && !requisite.anyMatch(n.labels)) {
            return false;
        }
        if (rankSegment != null && !Topology.matches(rankSegment, n.labels)) {
            return false;
        }
        return classCount == ANY || spreadCount(n) == classCount;
    }

    private void offer(DiskState d) {
        if (best == null || better(d, best)) {
            best = d;
        }
    }

    private boolean better(DiskState a, DiskState b) {
        if (binpack) {
            return FreeIndex.ORDER.compare(a, b) < 0;
        }
        int c = Long.compare(b.free(), a.free());
        if (c != 0) {
            return c < 0;
        }
        c = a.node.nameStr.compareTo(b.node.nameStr);
        return c != 0 ? c < 0 : a.nameStr.compareTo(b.nameStr) < 0;
    }

    // ---------------------------------------------------------------- full scan (naive reference)

    /** Visits every node and disk and keeps the best by the full ranking key. */
    DiskState planFullScan() {
        boolean hard = scope != SpreadRule.Scope.NONE && req.spread().isHard();
        boolean soft = scope != SpreadRule.Scope.NONE && !hard;
        DiskState bestDisk = null;
        int bestSpread = 0;
        int bestRank = 0;
        best = null;
        for (NodeState n : s.nodeList) {
            if (!n.schedulable || (requisite != null && !requisite.anyMatch(n.labels))) {
                continue;
            }
            int spread = scope == SpreadRule.Scope.NONE ? 0 : spreadCount(n);
            if (hard && spread > 0) {
                continue;
            }
            if (!soft) {
                spread = 0;
            }
            int rank = preferred.isEmpty() ? 0 : preferred.firstMatch(n.labels);
            for (DiskState d : n.disks) {
                if ((d.layoutMask & layoutBit) == 0 || d.free() < size) {
                    continue;
                }
                if (bestDisk == null || spread < bestSpread || (spread == bestSpread
                        && (rank < bestRank || (rank == bestRank && better(d, bestDisk))))) {
                    bestDisk = d;
                    bestSpread = spread;
                    bestRank = rank;
                }
            }
        }
        return bestDisk;
    }

    // ---------------------------------------------------------------- refusal accounting

    /** Runs the filter funnel over every node to say, in numbers, why nothing fits. O(n), refusals only. */
    Decision.Refused explain() {
        Layout layout = req.layout();
        boolean hard = scope != SpreadRule.Scope.NONE && req.spread().isHard();
        int known = s.nodeList.size();
        int matching = 0;
        int cordoned = 0;
        int offering = 0;
        int blocked = 0;
        int left = 0;
        long largest = Long.MIN_VALUE;
        for (NodeState n : s.nodeList) {
            if (requisite != null && !requisite.anyMatch(n.labels)) {
                continue;
            }
            matching++;
            if (!n.schedulable) {
                cordoned++;
                continue;
            }
            long nodeLargest = Long.MIN_VALUE;
            for (DiskState d : n.disks) {
                if ((d.layoutMask & layoutBit) != 0) {
                    nodeLargest = Math.max(nodeLargest, d.free());
                }
            }
            if (nodeLargest == Long.MIN_VALUE) {
                continue;
            }
            offering++;
            if (hard && spreadCount(n) > 0) {
                blocked++;
                continue;
            }
            left++;
            largest = Math.max(largest, nodeLargest);
        }
        Capacity requested = req.size();
        Capacity largestFree = new Capacity(Math.max(0, largest));
        Decision.Counts counts = new Decision.Counts(known, matching, cordoned, offering, blocked, left, largestFree, requested);
        Decision.Reason reason;
        if (known == 0) {
            reason = Decision.Reason.NO_NODES;
        } else if (matching == 0) {
            reason = Decision.Reason.TOPOLOGY;
        } else if (matching == cordoned) {
            reason = Decision.Reason.CORDONED;
        } else if (offering == 0) {
            reason = Decision.Reason.LAYOUT;
        } else if (left == 0) {
            reason = Decision.Reason.SPREAD;
        } else {
            reason = Decision.Reason.CAPACITY;
        }
        StringBuilder m = new StringBuilder();
        m.append("cannot place ").append(requested).append(' ').append(layout).append(" volume ").append(req.volume()).append(": ");
        if (known == 0) {
            return new Decision.Refused(reason, m.append("no nodes are known").toString(), counts);
        }
        m.append("of ").append(known).append(known == 1 ? " node, " : " nodes, ");
        if (requisite != null) {
            m.append(matching).append(" match topology ").append(describe(requisite.list)).append("; ");
        } else {
            m.append(matching).append(" considered; ");
        }
        m.append(cordoned).append(" cordoned; ");
        m.append(offering).append(" offer layout ").append(layout);
        if (hard) {
            m.append("; ").append(blocked).append(" ")
                    .append(scope == SpreadRule.Scope.NODE ? "hold" : "are in zones holding")
                    .append(" other ordinals of ").append(req.group()).append(" (").append(req.spread()).append(" spread)");
        }
        if (left > 0) {
            m.append("; ").append(left).append(" left, their largest free disk has ").append(largestFree)
                    .append(", ").append(requested).append(" asked");
        } else {
            m.append("; none left");
        }
        return new Decision.Refused(reason, m.toString(), counts);
    }

    private static String describe(List<Map<String, String>> segments) {
        StringJoiner j = new StringJoiner(" or ");
        int shown = 0;
        for (Map<String, String> seg : segments) {
            if (shown++ == 3) {
                j.add("... (" + segments.size() + " segments)");
                break;
            }
            StringJoiner kv = new StringJoiner(",", "{", "}");
            new TreeMap<>(seg).forEach((k, v) -> kv.add(k + "=" + v));
            j.add(kv.toString());
        }
        return j.toString();
    }
}
