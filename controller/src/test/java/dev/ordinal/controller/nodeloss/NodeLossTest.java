package dev.ordinal.controller.nodeloss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.controller.model.OrdinalClaim;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which ordinals node loss releases, and when it looks again. */
class NodeLossTest {

    static final Instant NOW = Instant.parse("2026-01-01T01:00:00Z");
    static final NodeLossTimeout TEN_MINUTES = NodeLossTimeout.of(Duration.ofMinutes(10));

    static PlacedClaim local(String template, int ordinal, String node) {
        return new PlacedClaim(OrdinalClaim.of("shop", "web", template, ordinal), "uid-" + template + ordinal, "1", false,
                "pv-" + template + ordinal, "local:" + node + ":d1:x", "Retain", Optional.of(node));
    }

    static PlacedClaim nfs(int ordinal) {
        return new PlacedClaim(OrdinalClaim.of("shop", "web", "shared", ordinal), "uid-s" + ordinal, "1", false,
                "pv-s" + ordinal, "nfs#srv#/share#dir", "Retain", Optional.empty());
    }

    static OrdinalPod pod(int ordinal, String node) {
        return new OrdinalPod("web-" + ordinal, ordinal, "pod-uid-" + ordinal, "1", Optional.ofNullable(node));
    }

    @Test
    void aNodeNotReadyForLessThanTheTimeoutReleasesNothingAndAsksToLookAgainWhenItRunsOut() {
        Instant since = NOW.minus(Duration.ofMinutes(4));
        NodeLossPlan plan = NodeLoss.plan(0, 3, TEN_MINUTES, List.of(local("data", 1, "n1")),
                Map.of("n1", NodeState.notReady("n1", since)), List.of(pod(1, "n1")), NOW);
        assertEquals(List.of(), plan.releases());
        assertEquals(Optional.of(since.plus(Duration.ofMinutes(10))), plan.revisitAt());
    }

    @Test
    void aNodeLostForLongerReleasesItsLocalClaimsAndItsPodButNotNfs() {
        NodeState n1 = NodeState.notReady("n1", NOW.minus(Duration.ofMinutes(11)));
        NodeLossPlan plan = NodeLoss.plan(0, 3, TEN_MINUTES,
                List.of(local("data", 1, "n1"), local("logs", 1, "n1"), nfs(1), local("data", 0, "n2")),
                Map.of("n1", n1, "n2", NodeState.ready("n2")), List.of(pod(0, "n2"), pod(1, "n1")), NOW);
        assertEquals(1, plan.releases().size());
        Release release = plan.releases().getFirst();
        assertEquals(1, release.ordinal());
        assertEquals(List.of("data-web-1", "logs-web-1"), release.claims().stream().map(c -> c.id().claimName()).toList());
        assertEquals(Optional.of("web-1"), release.pod().map(OrdinalPod::name));
        assertEquals("node n1, not Ready since 2026-01-01T00:49:00Z (11m ago; node-loss-timeout 10m)",
                release.lost().describe());
    }

    @Test
    void aDeletedNodeCountsFromWhenItWentMissing() {
        NodeLossPlan plan = NodeLoss.plan(0, 3, TEN_MINUTES, List.of(local("data", 2, "n1")),
                Map.of("n1", NodeState.gone("n1", NOW.minus(Duration.ofMinutes(30)))), List.of(pod(2, "n1")), NOW);
        assertEquals(1, plan.releases().size());
        assertTrue(plan.releases().getFirst().lost().describe().startsWith("node n1, deleted, missing since"));
    }

    @Test
    void withoutTheAnnotationOrWithAReadyNodeNothingHappens() {
        NodeState lost = NodeState.notReady("n1", NOW.minus(Duration.ofDays(1)));
        assertEquals(List.of(), NodeLoss.plan(0, 3, NodeLossTimeout.OFF, List.of(local("data", 1, "n1")),
                Map.of("n1", lost), List.of(pod(1, "n1")), NOW).releases());
        assertEquals(List.of(), NodeLoss.plan(0, 3, NodeLossTimeout.parse("soon"), List.of(local("data", 1, "n1")),
                Map.of("n1", lost), List.of(pod(1, "n1")), NOW).releases());
        assertEquals(List.of(), NodeLoss.plan(0, 3, TEN_MINUTES, List.of(local("data", 1, "n1")),
                Map.of("n1", NodeState.ready("n1")), List.of(pod(1, "n1")), NOW).releases());
    }

    @Test
    void ordinalsOutOfRangeAreLeftForWhenTheyComeBack() {
        NodeState lost = NodeState.notReady("n1", NOW.minus(Duration.ofHours(1)));
        NodeLossPlan plan = NodeLoss.plan(1, 2, TEN_MINUTES,
                List.of(local("data", 0, "n1"), local("data", 1, "n1"), local("data", 3, "n1")),
                Map.of("n1", lost), List.of(), NOW);
        assertEquals(List.of(1), plan.releases().stream().map(Release::ordinal).toList());
    }

    @Test
    void aClaimAlreadyBeingDeletedLeavesOnlyThePodAndAnUnscheduledPodGoesWithItsClaim() {
        NodeState lost = NodeState.gone("n1", NOW.minus(Duration.ofHours(1)));
        PlacedClaim deleting = new PlacedClaim(OrdinalClaim.of("shop", "web", "data", 1), "u", "1", true, "pv",
                "local:n1:d:x", "Delete", Optional.of("n1"));
        Release onlyPod = NodeLoss.plan(0, 3, TEN_MINUTES, List.of(deleting), Map.of("n1", lost),
                List.of(pod(1, "n1")), NOW).releases().getFirst();
        assertEquals(List.of(), onlyPod.claims());
        assertEquals(Optional.of("web-1"), onlyPod.pod().map(OrdinalPod::name));
        // The StatefulSet controller made the Pod again, and it waits unscheduled for the claim: it goes with the
        // claim (so that it is made again with a new one), but not after, and a Pod on another node never.
        Release withClaim = NodeLoss.plan(0, 3, TEN_MINUTES, List.of(local("data", 1, "n1")), Map.of("n1", lost),
                List.of(pod(1, null)), NOW).releases().getFirst();
        assertEquals(Optional.of("web-1"), withClaim.pod().map(OrdinalPod::name));
        assertEquals(List.of(), NodeLoss.plan(0, 3, TEN_MINUTES, List.of(deleting), Map.of("n1", lost),
                List.of(pod(1, null)), NOW).releases());
        Release elsewhere = NodeLoss.plan(0, 3, TEN_MINUTES, List.of(local("data", 1, "n1")), Map.of("n1", lost),
                List.of(pod(1, "n2")), NOW).releases().getFirst();
        assertEquals(Optional.empty(), elsewhere.pod());
    }
}
