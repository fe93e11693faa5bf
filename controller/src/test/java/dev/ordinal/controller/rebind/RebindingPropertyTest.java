package dev.ordinal.controller.rebind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.controller.model.OrdinalClaim;
import dev.ordinal.controller.rebind.RebindAction.CompleteBind;
import dev.ordinal.controller.rebind.RebindAction.Rebind;
import dev.ordinal.controller.rebind.RebindAction.Skip;
import dev.ordinal.controller.rebind.RetainedVolume.ClaimRef;
import dev.ordinal.controller.rebind.RetainedVolume.Phase;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * Over random claims and volumes of a few ordinals: the rebind decision never takes a volume that is not a Released,
 * retained, unheld volume of the claim's own ordinal; what it binds fits the claim; and every claim that waits
 * while such a volume exists gets a decision (rebound or skipped), since the driver refuses to provision it until
 * then.
 */
class RebindingPropertyTest {

    private static final String[] CLASSES = {"fast", "fast", "fast", "fast", "slow", ""};
    private static final String[] MODES = {"ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany"};

    @Property(tries = 1000, edgeCases = EdgeCasesMode.NONE)
    @StatisticsReport(onFailureOnly = true)
    void decisionsAreSafeAndComplete(@ForAll("claims") List<PendingClaim> claims,
            @ForAll("volumes") List<RetainedVolume> volumes) {
        List<RebindAction> plan = Rebinding.plan(claims, volumes);
        plan.forEach(action -> Statistics.collect(action.getClass().getSimpleName()));
        // Not vacuous: the generators reach every kind of decision.
        Statistics.coverage(checker -> {
            for (String kind : List.of("Rebind", "Skip", "CompleteBind", "Wait")) {
                checker.check(kind).percentage(p -> p >= 3);
            }
        });
        Set<String> decided = new HashSet<>();
        for (RebindAction action : plan) {
            assertTrue(decided.add(action.claim().id().claimName()), "one decision per claim");
            assertTrue(action.claim().waiting());
            if (action instanceof Rebind rebind) {
                RetainedVolume v = rebind.volume();
                assertTrue(takeable(v, rebind.claim()), v.toString());
                assertEquals(List.of(), Rebinding.mismatches(rebind.claim(), v));
                assertTrue(v.capacity().bytes() >= rebind.claim().request().bytes());
                assertTrue(rebind.passedOver().stream().allMatch(o -> !o.created().isAfter(v.created())),
                        "the newest is taken");
            } else if (action instanceof CompleteBind complete) {
                RetainedVolume v = complete.volume();
                assertEquals(Phase.RELEASED, v.phase());
                assertEquals(Optional.of(new ClaimRef("ns", complete.claim().id().claimName(), complete.claim().uid(), true)),
                        v.claimRef(), "completes only a volume already pointed at this very claim");
            } else if (action instanceof Skip skip) {
                assertTrue(takeable(skip.volume(), skip.claim()));
                assertTrue(!skip.reasons().isEmpty());
            }
        }
        for (PendingClaim claim : claims) {
            boolean candidate = volumes.stream().anyMatch(v -> takeable(v, claim));
            if (claim.waiting() && !claim.skipped() && candidate) {
                assertTrue(plan.stream().anyMatch(a -> a.claim().equals(claim)
                        && (a instanceof Rebind || a instanceof Skip || a instanceof CompleteBind)), "no decision for " + claim);
            }
        }
    }

    private static boolean takeable(RetainedVolume v, PendingClaim claim) {
        return v.identity().equals(claim.id()) && v.phase() == Phase.RELEASED && v.retained() && !v.deleting()
                && v.claimRef().map(ref -> !ref.live()).orElse(true);
    }

    @Provide
    Arbitrary<List<PendingClaim>> claims() {
        Arbitrary<PendingClaim> claim = Combinators.combine(
                Arbitraries.integers().between(0, 2), Arbitraries.frequency(Tuple.of(4, true), Tuple.of(1, false)),
                Arbitraries.frequency(Tuple.of(1, true), Tuple.of(4, false)), Arbitraries.of(CLASSES),
                Arbitraries.integers().between(1, 3), Arbitraries.subsetOf(MODES).ofMinSize(1).ofMaxSize(2),
                Arbitraries.frequency(Tuple.of(5, "Filesystem"), Tuple.of(1, "Block")), Arbitraries.integers().between(0, 9))
                .as((ordinal, pending, skipped, cls, gi, modes, mode, shape) -> new PendingClaim(
                        OrdinalClaim.of("ns", "web", "data", ordinal), "uid-" + ordinal, "1", pending,
                        shape == 0 ? Optional.of("pv-elsewhere") : Optional.empty(), shape == 1, skipped, cls,
                        new Size(gi * RebindingTest.GI, gi + "Gi"), Set.copyOf(modes), mode));
        // One claim per ordinal, as names are unique.
        return claim.list().ofMinSize(1).ofMaxSize(3).map(list -> {
            List<PendingClaim> unique = new ArrayList<>();
            Set<Integer> seen = new HashSet<>();
            for (PendingClaim c : list) {
                if (seen.add(c.id().ordinal())) {
                    unique.add(c);
                }
            }
            return unique;
        });
    }

    @Provide
    Arbitrary<List<RetainedVolume>> volumes() {
        Arbitrary<RetainedVolume> volume = Combinators.combine(
                Arbitraries.integers().between(0, 2),
                Arbitraries.frequency(Tuple.of(6, Phase.RELEASED), Tuple.of(1, Phase.BOUND), Tuple.of(1, Phase.AVAILABLE),
                        Tuple.of(1, Phase.PENDING), Tuple.of(1, Phase.FAILED)),
                Arbitraries.frequency(Tuple.of(4, "Retain"), Tuple.of(1, "Delete")),
                Arbitraries.of(CLASSES), Arbitraries.integers().between(1, 4),
                Arbitraries.oneOf(Arbitraries.just(Set.of(MODES)), Arbitraries.subsetOf(MODES).ofMinSize(1)),
                Arbitraries.integers().between(0, 1000), Arbitraries.integers().between(0, 5))
                .as((ordinal, phase, policy, cls, gi, modes, age, ref) -> {
                    OrdinalClaim id = OrdinalClaim.of("ns", "web", ref == 5 ? "logs" : "data", ordinal);
                    Optional<ClaimRef> claimRef = switch (ref) {
                        case 0 -> Optional.empty();
                        case 1 -> Optional.of(new ClaimRef("ns", id.claimName(), "uid-gone", false));
                        case 2 -> Optional.of(new ClaimRef("ns", "other", "uid-other", true));
                        case 3 -> Optional.of(new ClaimRef("ns", id.claimName(), "uid-" + ordinal, true));
                        default -> Optional.of(new ClaimRef("ns", id.claimName(), "uid-gone", false));
                    };
                    return new RetainedVolume("pv-" + ordinal + "-" + age, "local:n:d:" + age, id, phase, policy,
                            age % 11 == 0, cls, new Size(gi * RebindingTest.GI, gi + "Gi"), Set.copyOf(modes),
                            age % 6 == 0 ? "Block" : "Filesystem", Instant.EPOCH.plusSeconds(age), claimRef,
                            Optional.empty());
                });
        return volume.list().ofMinSize(1).ofMaxSize(6).uniqueElements(RetainedVolume::name);
    }
}
