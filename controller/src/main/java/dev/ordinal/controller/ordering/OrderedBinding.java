package dev.ordinal.controller.ordering;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Ordered binding (issue 7): the claim of ordinal k of a template is admitted for provisioning only once the claims of
 * ordinals start..k-1 of the same template are Bound, whatever order the claims appear in (podManagementPolicy
 * Parallel makes them all at once). Each template of a StatefulSet is its own chain: {@code data-web-1} waits for
 * {@code data-web-0}, never for {@code wal-web-0}. A pure function of the claims as they are, so a reconcile after a
 * restart or a leader change decides the same.
 */
public final class OrderedBinding {

    private OrderedBinding() {
    }

    /**
     * One decision per claim that is Pending, gated and not admitted yet; nothing for the others.
     *
     * @param start {@code spec.ordinals.start} (0 when unset): the first ordinal, admitted as soon as it exists
     */
    public static List<Admission> plan(int start, List<OrderedClaim> claims, Instant now) {
        Map<String, Map<Integer, OrderedClaim>> byTemplate = new HashMap<>();
        for (OrderedClaim claim : claims) {
            byTemplate.computeIfAbsent(claim.id().template(), t -> new HashMap<>()).put(claim.id().ordinal(), claim);
        }
        List<Admission> decisions = new ArrayList<>();
        List<OrderedClaim> sorted = claims.stream()
                .sorted(Comparator.comparing((OrderedClaim c) -> c.id().template()).thenComparingInt(c -> c.id().ordinal()))
                .toList();
        for (OrderedClaim claim : sorted) {
            if (claim.settled()) {
                continue;
            }
            Duration waited = Duration.between(claim.created(), now);
            waited = waited.isNegative() ? Duration.ZERO : waited;
            int ordinal = claim.id().ordinal();
            String template = claim.id().template();
            if (claim.mode() == OrderingMode.ADMIT_ALL) {
                decisions.add(new Admission.Admit(claim, waited, "the StatefulSet opts out of ordered binding"));
            } else if (ordinal <= start) {
                decisions.add(new Admission.Admit(claim, waited, ordinal == start
                        ? "the first ordinal (" + start + ") of template " + template + " waits for none"
                        : "ordinal " + ordinal + " is below spec.ordinals.start (" + start + "): nothing to wait for"));
            } else {
                int unbound = firstUnbound(byTemplate.get(template), start, ordinal);
                if (unbound < 0) {
                    decisions.add(new Admission.Admit(claim, waited, "ordinals " + range(start, ordinal - 1)
                            + " of template " + template + " are Bound"));
                } else {
                    decisions.add(new Admission.Wait(claim, ordinal - 1, unbound));
                }
            }
        }
        return decisions;
    }

    /** The lowest ordinal in [start, end) whose claim is missing or not Bound; -1 when all are Bound. */
    private static int firstUnbound(Map<Integer, OrderedClaim> template, int start, int end) {
        for (int ordinal = start; ordinal < end; ordinal++) {
            OrderedClaim earlier = template.get(ordinal);
            if (earlier == null || earlier.phase() != ClaimPhase.BOUND) {
                return ordinal;
            }
        }
        return -1;
    }

    private static String range(int from, int to) {
        return from == to ? Integer.toString(from) : from + ".." + to;
    }
}
