package dev.ordinal.controller.grow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.controller.model.OrdinalClaim;
import dev.ordinal.controller.rebind.Size;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * A rollout against a simulated cluster: reconciles run at random moments, csi-resizer and kubelet finish the
 * claims asked for the new size after random delays (controller first, then the node), and the StatefulSet scales
 * up during the rollout, its new claims coming with the template's old size and binding later. Whatever the
 * interleaving: no claim is ever asked for less than it asks, no more than {@code atOnce} claims are in flight, a
 * claim starts only after every lower ordinal has started, each claim is asked once, and in the end every claim,
 * the new ones too, holds the new size.
 */
class VolumeGrowthPropertyTest {

    private static final long GI = 1L << 30;
    private static final Size OLD = new Size(GI, "1Gi");
    private static final Size NEW = new Size(2 * GI, "2Gi");

    /** A simulated claim: what it asks, what it holds, and where csi-resizer and kubelet are with it. */
    private static final class Claim {
        final int ordinal;
        long requested;
        long capacity;
        boolean bound;
        boolean resizing;
        int asked;

        Claim(int ordinal, long size, boolean bound) {
            this.ordinal = ordinal;
            this.requested = size;
            this.capacity = bound ? size : 0;
            this.bound = bound;
        }

        GrowingClaim model() {
            return new GrowingClaim(OrdinalClaim.of("ns", "db", "data", ordinal), size(requested), size(capacity),
                    bound, resizing, Optional.empty(), true, "ordinal", Optional.of("node-1/d1"),
                    Optional.of(1000 * GI));
        }

        boolean inFlight() {
            return requested >= NEW.bytes() && (capacity < NEW.bytes() || resizing);
        }
    }

    @Property(tries = 300)
    void aRolloutNeverShrinksNeverExceedsItsPaceNeverSkipsAndEndsWithEveryOrdinalGrown(@ForAll Random random,
            @ForAll @IntRange(min = 1, max = 7) int replicas, @ForAll @IntRange(min = 0, max = 3) int scaleUps,
            @ForAll @IntRange(min = 1, max = 3) int atOnce) {
        Map<Integer, Claim> cluster = new TreeMap<>();
        for (int ordinal = 0; ordinal < replicas; ordinal++) {
            // Some claims may hold the size already (grown by hand before the annotation).
            cluster.put(ordinal, new Claim(ordinal, random.nextInt(5) == 0 ? NEW.bytes() : OLD.bytes(), true));
        }
        int toAdd = scaleUps;
        Pace pace = new Pace(atOnce, false);
        GrowAsk ask = new GrowAsk("data", NEW, GrowAsk.Source.ANNOTATION);
        for (int step = 0; step < 20_000; step++) {
            boolean finished = toAdd == 0 && cluster.values().stream()
                    .allMatch(c -> c.bound && c.requested >= NEW.bytes() && !c.inFlight());
            if (finished) {
                break;
            }
            switch (random.nextInt(4)) {
                case 0 -> reconcile(cluster, ask, pace);
                case 1 -> {
                    // csi-resizer grows one claim on the controller side; the node's part is then pending.
                    List<Claim> asked = cluster.values().stream()
                            .filter(c -> c.bound && c.requested > Math.max(c.capacity, 0) && !c.resizing).toList();
                    if (!asked.isEmpty()) {
                        asked.get(random.nextInt(asked.size())).resizing = true;
                    }
                }
                case 2 -> {
                    // kubelet finishes one: capacity reached, no condition left.
                    List<Claim> resizing = cluster.values().stream().filter(c -> c.resizing).toList();
                    if (!resizing.isEmpty()) {
                        Claim claim = resizing.get(random.nextInt(resizing.size()));
                        claim.resizing = false;
                        claim.capacity = claim.requested;
                    }
                }
                default -> {
                    if (toAdd > 0 && random.nextBoolean()) {
                        // Scale up: the StatefulSet controller makes the claim from the template (old size).
                        int ordinal = cluster.size();
                        cluster.put(ordinal, new Claim(ordinal, OLD.bytes(), false));
                        toAdd--;
                    } else {
                        cluster.values().stream().filter(c -> !c.bound).findFirst().ifPresent(c -> {
                            c.bound = true;
                            c.capacity = c.requested;
                        });
                    }
                }
            }
        }
        reconcile(cluster, ask, pace);
        for (Claim claim : cluster.values()) {
            assertEquals(NEW.bytes(), claim.requested, "ordinal " + claim.ordinal + " asks the new size");
            assertEquals(NEW.bytes(), claim.capacity, "ordinal " + claim.ordinal + " holds it");
            assertTrue(claim.asked <= 1, "ordinal " + claim.ordinal + " was asked " + claim.asked + " times");
        }
        VolumeGrowth.Plan last = VolumeGrowth.plan(ask, models(cluster), pace);
        assertEquals(RolloutStatus.State.COMPLETE, last.status().state());
        assertEquals(cluster.size(), last.status().done());
        assertEquals(cluster.size(), last.status().total());
    }

    private static void reconcile(Map<Integer, Claim> cluster, GrowAsk ask, Pace pace) {
        VolumeGrowth.Plan plan = VolumeGrowth.plan(ask, models(cluster), pace);
        for (GrowAction action : plan.actions()) {
            GrowAction.Grow grow = (GrowAction.Grow) action;
            Claim claim = cluster.get(grow.claim().ordinal());
            assertTrue(grow.to().bytes() >= claim.requested, "never asked to shrink: " + grow);
            assertTrue(claim.bound, "only a bound claim's size can change: " + grow);
            for (Claim lower : cluster.values()) {
                if (lower.ordinal < claim.ordinal) {
                    assertTrue(lower.requested >= NEW.bytes() || !lower.bound,
                            "ordinal " + lower.ordinal + " started before " + claim.ordinal);
                }
            }
            claim.requested = grow.to().bytes();
            claim.asked++;
        }
        long inFlight = cluster.values().stream().filter(Claim::inFlight).count()
                + cluster.values().stream().filter(c -> !c.bound && plan.status().current().contains(c.ordinal)).count();
        assertTrue(inFlight <= pace.atOnce(), inFlight + " in flight, at most " + pace.atOnce() + " asked");
    }

    private static List<GrowingClaim> models(Map<Integer, Claim> cluster) {
        List<GrowingClaim> models = new ArrayList<>();
        cluster.values().forEach(c -> models.add(c.model()));
        return models;
    }

    private static Size size(long bytes) {
        return bytes == 0 ? Size.NONE : new Size(bytes, (bytes / GI) + "Gi");
    }
}
