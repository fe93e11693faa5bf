package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Allocation;
import dev.ordinal.allocator.model.Disk;
import dev.ordinal.allocator.model.FitPolicy;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.Node;
import dev.ordinal.allocator.model.OwnerGroup;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.allocator.model.PlacementRequest;
import dev.ordinal.allocator.model.SpreadRule;
import dev.ordinal.allocator.model.Topology;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Brute-force model of the placement rules, written from the specification and sharing no code with
 * the allocator: it enumerates every (node, disk) pair, keeps the legal ones and sorts them by the
 * documented ranking key. Only fit for small clusters.
 */
final class Oracle {
    static final String ZONE = Topology.DEFAULT_ZONE_KEY;

    static final class ONode {
        final String name;
        final Map<String, String> labels;
        boolean schedulable;
        final Map<String, ODisk> disks = new LinkedHashMap<>();

        ONode(Node n) {
            name = n.name().value();
            labels = n.labels();
            schedulable = n.schedulable();
        }

        String zone() {
            return labels.getOrDefault(ZONE, "");
        }
    }

    static final class ODisk {
        final ONode node;
        final String name;
        final Set<Layout> layouts;
        long capacity;
        long reserved;

        ODisk(ONode node, Disk d) {
            this.node = node;
            this.name = d.name().value();
            this.layouts = d.layouts();
            this.capacity = d.capacity().bytes();
            this.reserved = d.reserved().bytes();
        }
    }

    record OHold(String volume, ODisk disk, long bytes, OwnerGroup group, int ordinal, Layout layout) {
    }

    final Map<String, ONode> nodes = new LinkedHashMap<>();
    /** Pending and committed holds by volume id. */
    final Map<String, OHold> holds = new LinkedHashMap<>();

    void addNode(Node n) {
        nodes.put(n.name().value(), new ONode(n));
    }

    void addDisk(String node, Disk d) {
        ONode n = nodes.get(node);
        n.disks.put(d.name().value(), new ODisk(n, d));
    }

    ODisk disk(Placement p) {
        ONode n = nodes.get(p.node().value());
        return n == null ? null : n.disks.get(p.disk().value());
    }

    long used(ODisk d) {
        long u = 0;
        for (OHold h : holds.values()) {
            if (h.disk == d) {
                u += h.bytes;
            }
        }
        return u;
    }

    long free(ODisk d) {
        return d.capacity - d.reserved - used(d);
    }

    void hold(PlacementRequest r, Placement p) {
        holds.put(r.volume().id(), new OHold(r.volume().id(), disk(p), r.size().bytes(), r.group(), r.ordinal(), r.layout()));
    }

    void hold(Allocation a) {
        holds.put(a.volume().id(), new OHold(a.volume().id(), disk(a.placement()), a.bytes().bytes(), a.group(), a.ordinal(), a.layout()));
    }

    /** Other ordinals of the request's group on the node, or in its zone. */
    int others(PlacementRequest r, ONode n) {
        if (r.group() == null || r.spread().scope() == SpreadRule.Scope.NONE) {
            return 0;
        }
        int c = 0;
        for (OHold h : holds.values()) {
            if (!r.group().equals(h.group) || h.ordinal == r.ordinal()) {
                continue;
            }
            boolean same = r.spread().scope() == SpreadRule.Scope.NODE ? h.disk.node == n : h.disk.node.zone().equals(n.zone());
            if (same) {
                c++;
            }
        }
        return c;
    }

    boolean legal(PlacementRequest r, ODisk d) {
        ONode n = d.node;
        if (!n.schedulable || !d.layouts.contains(r.layout()) || free(d) < r.size().bytes()) {
            return false;
        }
        if (!r.topology().requisite().isEmpty()
                && r.topology().requisite().stream().noneMatch(seg -> Topology.matches(seg, n.labels))) {
            return false;
        }
        return !(r.spread().isHard() && others(r, n) > 0);
    }

    /** The placement the rules demand, or empty when no legal placement exists. Ignores sticky. */
    Optional<Placement> choose(PlacementRequest r) {
        List<ODisk> legal = new ArrayList<>();
        for (ONode n : nodes.values()) {
            for (ODisk d : n.disks.values()) {
                if (legal(r, d)) {
                    legal.add(d);
                }
            }
        }
        boolean soft = r.spread().scope() != SpreadRule.Scope.NONE && !r.spread().isHard();
        Comparator<ODisk> bySpread = Comparator.comparingInt(d -> soft ? others(r, d.node) : 0);
        Comparator<ODisk> byPreference = Comparator.comparingInt(d -> preferenceRank(r, d.node));
        Comparator<ODisk> byFit = Comparator.comparingLong(this::free);
        if (r.fit() == FitPolicy.SPREAD) {
            byFit = byFit.reversed();
        }
        Comparator<ODisk> ranking = bySpread.thenComparing(byPreference).thenComparing(byFit)
                .thenComparing(d -> d.node.name).thenComparing(d -> d.name);
        return legal.stream().min(ranking).map(d -> Placement.of(d.node.name, d.name));
    }

    private static int preferenceRank(PlacementRequest r, ONode n) {
        List<Map<String, String>> pref = r.topology().preferred();
        for (int i = 0; i < pref.size(); i++) {
            if (Topology.matches(pref.get(i), n.labels)) {
                return i;
            }
        }
        return pref.size();
    }
}
