package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Disk;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.FitPolicy;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.Node;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.allocator.model.OwnerGroup;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.allocator.model.PlacementRequest;
import dev.ordinal.allocator.model.SpreadRule;
import dev.ordinal.allocator.model.Topology;
import dev.ordinal.allocator.model.TopologyRequirement;
import dev.ordinal.allocator.model.VolumeKey;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Drives an allocator and the brute-force {@link Oracle} through the same random cluster and request
 * stream, checking every decision against the oracle and the disk invariants after every step.
 * The transcript records every outcome so runs can be compared for determinism.
 */
final class Sim {
    static final String RACK = "topology.ordinal.csi.dev/rack";
    private static final String[] ZONES = {"a", "b", "c"};
    private static final String[] RACKS = {"r1", "r2"};
    private static final long GIB = 1L << 30;
    private static final OwnerGroup[] GROUPS = {
        OwnerGroup.of("default", "db", "data"), OwnerGroup.of("default", "db", "wal"), OwnerGroup.of("team", "kafka", "log")};
    private static final SpreadRule[] SPREADS = {
        SpreadRule.NONE, SpreadRule.HARD_NODE, SpreadRule.SOFT_NODE, SpreadRule.HARD_ZONE, SpreadRule.SOFT_ZONE};

    final List<Node> nodeSpecs = new ArrayList<>();
    final Map<String, List<Disk>> diskSpecs = new HashMap<>();
    final List<String> transcript = new ArrayList<>();
    final Allocator allocator;
    final Oracle oracle = new Oracle();
    private final Random rnd;
    private final List<Reservation> pending = new ArrayList<>();
    private int volumeSeq;
    int placed;
    int refused;

    /** Builds a random cluster from the seed; {@code reversed} adds nodes and disks in the opposite order. */
    Sim(long seed, int nodes, int disksPerNode, AllocatorConfig config, boolean reversed) {
        this(seed, nodes, disksPerNode, config, reversed, false);
    }

    /** {@code everyNodeZoned}: no node lacks the zone label, which lets zone spread search per-zone indexes. */
    Sim(long seed, int nodes, int disksPerNode, AllocatorConfig config, boolean reversed, boolean everyNodeZoned) {
        this.rnd = new Random(seed);
        for (int i = 0; i < nodes; i++) {
            Map<String, String> labels = new HashMap<>();
            if (rnd.nextInt(10) != 0 || everyNodeZoned) {
                labels.put(Oracle.ZONE, ZONES[rnd.nextInt(ZONES.length)]);
            }
            if (rnd.nextBoolean()) {
                labels.put(RACK, RACKS[rnd.nextInt(RACKS.length)]);
            }
            String name = "n" + i;
            nodeSpecs.add(new Node(new NodeName(name), labels, rnd.nextInt(7) != 0));
            List<Disk> disks = new ArrayList<>();
            int count = 1 + rnd.nextInt(disksPerNode);
            for (int j = 0; j < count; j++) {
                EnumSet<Layout> layouts = EnumSet.noneOf(Layout.class);
                for (Layout l : Layout.values()) {
                    if (rnd.nextInt(3) != 0) {
                        layouts.add(l);
                    }
                }
                if (layouts.isEmpty()) {
                    layouts.add(Layout.SUBVOLUME);
                }
                long cap = (10L << rnd.nextInt(4)) * GIB;
                long reserved = rnd.nextInt(4) == 0 ? GIB : 0;
                disks.add(new Disk(new DiskName("d" + j), layouts, new Capacity(cap), new Capacity(reserved)));
            }
            diskSpecs.put(name, disks);
        }
        this.allocator = new Allocator(config);
        List<Node> order = new ArrayList<>(nodeSpecs);
        if (reversed) {
            java.util.Collections.reverse(order);
        }
        for (Node n : order) {
            allocator.addNode(n);
            oracle.addNode(n);
            List<Disk> disks = new ArrayList<>(diskSpecs.get(n.name().value()));
            if (reversed) {
                java.util.Collections.reverse(disks);
            }
            for (Disk d : disks) {
                allocator.addDisk(n.name(), d);
                oracle.addDisk(n.name().value(), d);
            }
        }
    }

    void run(int steps) {
        for (int i = 0; i < steps; i++) {
            step();
            checkDisks();
        }
    }

    private void step() {
        int op = rnd.nextInt(100);
        if (op < 60) {
            place(randomRequest("v" + volumeSeq++));
        } else if (op < 75) {
            settlePending();
        } else if (op < 83) {
            removeRandomAllocation();
        } else if (op < 88) {
            toggleCordon();
        } else if (op < 93) {
            changeCapacity();
        } else if (op < 98) {
            resize();
        } else {
            replaceExisting();
        }
    }

    PlacementRequest randomRequest(String volume) {
        long size = new long[] {1, 2, 5, 10, 20, 30}[rnd.nextInt(6)] * GIB;
        Layout layout = Layout.values()[rnd.nextInt(3)];
        PlacementRequest.Builder b = PlacementRequest.builder(VolumeKey.of(volume), new Capacity(size), layout)
                .fit(rnd.nextBoolean() ? FitPolicy.BINPACK : FitPolicy.SPREAD)
                .spread(SPREADS[rnd.nextInt(SPREADS.length)]);
        if (rnd.nextInt(10) != 0) {
            b.owner(GROUPS[rnd.nextInt(GROUPS.length)], rnd.nextInt(5));
        }
        List<Map<String, String>> requisite = rnd.nextBoolean() ? List.of() : randomSegments();
        List<Map<String, String>> preferred = rnd.nextBoolean() ? List.of() : randomSegments();
        b.topology(new TopologyRequirement(requisite, preferred));
        if (rnd.nextInt(10) == 0) {
            Node n = nodeSpecs.get(rnd.nextInt(nodeSpecs.size()));
            b.sticky(new Placement(n.name(), new DiskName("d" + rnd.nextInt(3))));
        }
        return b.build();
    }

    private List<Map<String, String>> randomSegments() {
        List<Map<String, String>> segs = new ArrayList<>();
        int count = 1 + rnd.nextInt(2);
        for (int i = 0; i < count; i++) {
            String zone = ZONES[rnd.nextInt(ZONES.length)];
            String rack = RACKS[rnd.nextInt(RACKS.length)];
            segs.add(switch (rnd.nextInt(4)) {
                case 0 -> Map.of(Oracle.ZONE, zone);
                case 1 -> Map.of(Topology.NODE_KEY, "n" + rnd.nextInt(nodeSpecs.size() + 1));
                case 2 -> Map.of(Oracle.ZONE, zone, RACK, rack);
                default -> Map.of(RACK, rack);
            });
        }
        return segs;
    }

    private void place(PlacementRequest r) {
        Optional<Placement> expected;
        if (r.sticky() != null) {
            Oracle.ODisk d = oracle.disk(r.sticky());
            boolean usable = d != null && d.layouts.contains(r.layout()) && oracle.free(d) >= r.size().bytes()
                    && (r.topology().requisite().isEmpty() || r.topology().requisite().stream().anyMatch(s -> Topology.matches(s, d.node.labels)))
                    && !(r.spread().isHard() && oracle.others(r, d.node) > 0);
            expected = usable ? Optional.of(r.sticky()) : Optional.empty();
        } else {
            expected = oracle.choose(r);
        }
        Decision decision = allocator.place(r);
        switch (decision) {
            case Decision.Placed p -> {
                transcript.add("placed " + r.volume() + " on " + p.placement());
                placed++;
                assertEquals(expected, Optional.of(p.placement()), () -> "oracle disagrees for " + r);
                Oracle.ODisk d = oracle.disk(p.placement());
                assertTrue(oracle.free(d) >= r.size().bytes(), "over-commit " + p.placement());
                if (r.spread().isHard()) {
                    assertEquals(0, oracle.others(r, d.node), () -> "hard spread violated by " + p.placement() + " for " + r);
                }
                oracle.hold(r, p.placement());
                int fate = rnd.nextInt(10);
                if (fate < 6) {
                    p.reservation().commit();
                } else if (fate < 8) {
                    assertTrue(p.reservation().release());
                    oracle.holds.remove(r.volume().id());
                } else {
                    pending.add(p.reservation());
                }
            }
            case Decision.Refused f -> {
                transcript.add("refused " + r.volume() + " " + f.reason() + " " + f.message());
                refused++;
                assertEquals(Optional.empty(), expected, () -> "refused although the oracle places: " + f + " for " + r);
                if (r.sticky() != null) {
                    assertEquals(Decision.Reason.STICKY, f.reason());
                } else {
                    assertFalse(f.reason() == Decision.Reason.STICKY || f.reason() == Decision.Reason.IN_FLIGHT);
                }
                if (f.reason() == Decision.Reason.CAPACITY) {
                    assertTrue(f.counts().largestFree().bytes() < r.size().bytes(), f::message);
                    assertTrue(f.counts().nodesLeft() > 0, f::message);
                }
            }
        }
    }

    private void settlePending() {
        if (pending.isEmpty()) {
            return;
        }
        Reservation res = pending.remove(rnd.nextInt(pending.size()));
        if (res.state() != Reservation.State.PENDING) {
            return;
        }
        if (rnd.nextBoolean()) {
            res.commit();
            transcript.add("commit " + res.volume());
        } else {
            res.release();
            oracle.holds.remove(res.volume().id());
            transcript.add("release " + res.volume());
        }
    }

    private String randomHeldVolume() {
        if (oracle.holds.isEmpty()) {
            return null;
        }
        List<String> keys = new ArrayList<>(oracle.holds.keySet());
        return keys.get(rnd.nextInt(keys.size()));
    }

    private void removeRandomAllocation() {
        String v = randomHeldVolume();
        if (v != null) {
            assertTrue(allocator.removeAllocation(VolumeKey.of(v)).isPresent());
            oracle.holds.remove(v);
            transcript.add("removed " + v);
        }
    }

    private void toggleCordon() {
        // Pick by spec order, not the oracle's insertion order, so reversed-build runs make the same choices.
        Oracle.ONode n = oracle.nodes.get(nodeSpecs.get(rnd.nextInt(nodeSpecs.size())).name().value());
        if (n.schedulable) {
            allocator.cordon(NodeName.of(n.name));
        } else {
            allocator.uncordon(NodeName.of(n.name));
        }
        n.schedulable = !n.schedulable;
        transcript.add("toggle " + n.name);
    }

    private void changeCapacity() {
        Oracle.ONode n = oracle.nodes.get(nodeSpecs.get(rnd.nextInt(nodeSpecs.size())).name().value());
        List<Disk> specs = diskSpecs.get(n.name);
        Oracle.ODisk d = n.disks.get(specs.get(rnd.nextInt(specs.size())).name().value());
        // Never below what is held: shrinking under volumes is legal but would break the no-over-commit check.
        long capacity = d.reserved + oracle.used(d) + rnd.nextInt(40) * GIB;
        d.capacity = capacity;
        allocator.setDiskCapacity(Placement.of(n.name, d.name), new Capacity(capacity), new Capacity(d.reserved));
        transcript.add("capacity " + n.name + "/" + d.name + " " + capacity);
    }

    private void resize() {
        String v = randomHeldVolume();
        if (v == null) {
            return;
        }
        Oracle.OHold h = oracle.holds.get(v);
        long newSize = h.bytes() + (rnd.nextInt(21) - 5) * GIB;
        if (newSize <= 0) {
            return;
        }
        ResizeResult result = allocator.resizeAllocation(VolumeKey.of(v), new Capacity(newSize));
        boolean committed = allocator.allocation(VolumeKey.of(v)).isPresent();
        boolean fits = newSize - h.bytes() <= oracle.free(h.disk());
        if (committed && fits) {
            assertTrue(result instanceof ResizeResult.Resized, result::toString);
            oracle.holds.put(v, new Oracle.OHold(v, h.disk(), newSize, h.group(), h.ordinal(), h.layout()));
        } else {
            assertTrue(result instanceof ResizeResult.NotResized, result::toString);
        }
        transcript.add("resize " + v + " " + result.getClass().getSimpleName());
    }

    private void replaceExisting() {
        String v = randomHeldVolume();
        if (v == null) {
            return;
        }
        Oracle.OHold h = oracle.holds.get(v);
        PlacementRequest r = PlacementRequest.builder(VolumeKey.of(v), new Capacity(h.bytes()), h.layout())
                .owner(h.group(), h.group() == null ? -1 : h.ordinal()).spread(SpreadRule.HARD_NODE).build();
        Decision d = allocator.place(r);
        boolean committed = allocator.allocation(VolumeKey.of(v)).isPresent();
        if (committed) {
            Decision.Placed p = assertInstanceOf(d);
            assertEquals(Placement.of(h.disk().node.name, h.disk().name), p.placement());
            assertEquals(Reservation.State.COMMITTED, p.reservation().state());
        } else {
            assertEquals(Decision.Reason.IN_FLIGHT, ((Decision.Refused) d).reason());
        }
        transcript.add("replace " + v + " " + d);
    }

    private static Decision.Placed assertInstanceOf(Decision d) {
        if (d instanceof Decision.Placed p) {
            return p;
        }
        return fail("expected the existing placement, got " + d);
    }

    /** Allocator's per-disk accounting equals the oracle's, and no disk holds more than it can. */
    void checkDisks() {
        for (Oracle.ONode n : oracle.nodes.values()) {
            for (Oracle.ODisk d : n.disks.values()) {
                DiskUsage u = allocator.diskUsage(Placement.of(n.name, d.name)).orElseThrow();
                long used = oracle.used(d);
                assertEquals(used, u.used().bytes(), () -> "used bytes of " + n.name + "/" + d.name);
                assertTrue(used <= d.capacity - d.reserved, () -> "over-committed " + n.name + "/" + d.name);
            }
        }
    }
}
