package dev.ordinal.controller.ordering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.controller.model.OrdinalClaim;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Ordered binding against a simulated cluster: claims of two templates appear in a random order (Parallel pod
 * management), reconciles run at random moments, and a provisioner binds admitted claims after random delays (what
 * the driver allows). Whatever the interleaving, no claim is admitted before every earlier ordinal of its template is
 * Bound, each template's claims are Bound in ordinal order, and in the end all of them are.
 */
class OrderedBindingPropertyTest {

    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    @Property(tries = 300)
    void claimsAreBoundInOrdinalOrderWhateverTheInterleaving(@ForAll Random random,
            @ForAll @IntRange(min = 1, max = 7) int replicas, @ForAll @IntRange(min = 0, max = 3) int start) {
        List<String> templates = List.of("data", "wal");
        List<OrdinalClaim> toCreate = new ArrayList<>();
        for (String template : templates) {
            for (int ordinal = start; ordinal < start + replicas; ordinal++) {
                toCreate.add(OrdinalClaim.of("ns", "web", template, ordinal));
            }
        }
        java.util.Collections.shuffle(toCreate, random);
        Map<String, OrderedClaim> cluster = new HashMap<>();
        Map<String, List<Integer>> bindOrder = new HashMap<>();
        for (int step = 0; step < 10_000 && !(toCreate.isEmpty() && allBound(cluster)); step++) {
            switch (random.nextInt(3)) {
                case 0 -> {
                    if (!toCreate.isEmpty()) {
                        OrdinalClaim id = toCreate.removeFirst();
                        cluster.put(id.claimName(), new OrderedClaim(id, ClaimPhase.PENDING, false, false, false,
                                OrderingMode.ORDERED, T));
                    }
                }
                case 1 -> {
                    for (Admission admission : OrderedBinding.plan(start, List.copyOf(cluster.values()), T)) {
                        if (admission instanceof Admission.Admit admit) {
                            OrdinalClaim id = admit.claim().id();
                            for (int earlier = start; earlier < id.ordinal(); earlier++) {
                                OrderedClaim before = cluster.get(OrdinalClaim.name(id.template(), "web", earlier));
                                assertTrue(before != null && before.phase() == ClaimPhase.BOUND,
                                        id.claimName() + " admitted before ordinal " + earlier + " was Bound");
                            }
                            cluster.put(id.claimName(), with(admit.claim(), ClaimPhase.PENDING, true));
                        }
                    }
                }
                default -> {
                    List<OrderedClaim> admitted = cluster.values().stream()
                            .filter(c -> c.admitted() && c.phase() == ClaimPhase.PENDING).toList();
                    if (!admitted.isEmpty()) {
                        OrderedClaim chosen = admitted.get(random.nextInt(admitted.size()));
                        cluster.put(chosen.id().claimName(), with(chosen, ClaimPhase.BOUND, true));
                        bindOrder.computeIfAbsent(chosen.id().template(), t -> new ArrayList<>()).add(chosen.id().ordinal());
                    }
                }
            }
        }
        List<Integer> inOrder = java.util.stream.IntStream.range(start, start + replicas).boxed().toList();
        for (String template : templates) {
            assertEquals(inOrder, bindOrder.get(template), template + " bound out of order or not at all");
        }
    }

    private static boolean allBound(Map<String, OrderedClaim> cluster) {
        return cluster.values().stream().allMatch(c -> c.phase() == ClaimPhase.BOUND);
    }

    private static OrderedClaim with(OrderedClaim claim, ClaimPhase phase, boolean admitted) {
        return new OrderedClaim(claim.id(), phase, claim.preBound(), claim.deleting(), admitted, claim.mode(), claim.created());
    }
}
